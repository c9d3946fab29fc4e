#!/bin/sh
# One-shot (temporalio/admin-tools): waits until the Temporal server answers, then creates the
# namespace prpilot uses if it does not exist yet (the plain server image creates none).
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-30d}"
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be host:port of the Temporal frontend}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "Temporal at $TEMPORAL_ADDRESS is not healthy after $tries tries" >&2; exit 1; fi
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention" --address "$TEMPORAL_ADDRESS"
  echo "namespace $namespace created (retention $retention)"
fi

# The frontend learns about a new namespace on its next cache refresh (seconds): wait for it, so that
# `prpilot setup`, which runs next, finds the namespace.
tries=0
until temporal operator search-attribute list --namespace "$namespace" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then echo "namespace $namespace is not served by $TEMPORAL_ADDRESS after $tries tries" >&2; exit 1; fi
  sleep 1
done
echo "namespace $namespace is ready"
