#!/usr/bin/env bash
# Starts (or finds) a pull request's prpilot workflow from any CI system, and maps the outcome to the
# job's result. Values come from environment variables, never from the command line, so a PR title
# such as `Fix "x" $(rm -rf ~)` reaches prpilot as one argument, verbatim, and is never run.
#
# Explicit settings (win over everything):
#   PRPILOT_REPO      owner/name, or the path of the checked-out repository     (required)
#   PRPILOT_BASE      base commit or ref                                        (required)
#   PRPILOT_HEAD      head commit or ref                                        (required)
#   PRPILOT_PR        PR / merge request number
#   PRPILOT_TITLE     PR title
#   PRPILOT_AUTHOR    PR author's login
#   PRPILOT_CONFIG    a prpilot.config.json to use instead of the one at the base commit
#   PRPILOT_WAIT      true: follow the run and exit with its outcome (default false: start and return)
#   PRPILOT_UNTIL_BLOCKED            with PRPILOT_WAIT: return as soon as the run waits for a human (default true)
#   PRPILOT_FAIL_ON_AWAITING_APPROVAL  true: a run waiting for approval fails the job (default false: it passes)
#   PRPILOT_BIN       the prpilot executable (default: prpilot on PATH)
#   PRPILOT_OUTPUT_FILE  where to append outcome=, exit-code=, workflow-id=, url= lines
#                     (default $GITHUB_OUTPUT; a GitLab `artifacts: reports: dotenv` file works too)
# Temporal: TEMPORAL_ADDRESS (required here), TEMPORAL_NAMESPACE, PRPILOT_TASK_QUEUE, PRPILOT_UI_URL,
# PRPILOT_ENCRYPTION_KEY are read by prpilot itself.
#
# Otherwise filled from the CI system's own variables:
#   GitLab merge request pipelines: CI_PROJECT_DIR, CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_COMMIT_SHA,
#     CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_TITLE, GITLAB_USER_LOGIN
#   Buildkite: BUILDKITE_BUILD_CHECKOUT_PATH, BUILDKITE_PULL_REQUEST_BASE_BRANCH, BUILDKITE_COMMIT,
#     BUILDKITE_PULL_REQUEST, BUILDKITE_BUILD_AUTHOR
#   Jenkins (multibranch PR builds): WORKSPACE, CHANGE_TARGET, GIT_COMMIT, CHANGE_ID, CHANGE_TITLE, CHANGE_AUTHOR
#
# Exit: 0 when started, deployed, or (by default) awaiting approval; otherwise prpilot's own code:
# 1 error, 2 usage or config error, 3 awaiting approval (with PRPILOT_FAIL_ON_AWAITING_APPROVAL),
# 10 rolled back, 11 rejected, 12 expired, 13 failed.
set -euo pipefail

say() { printf 'prpilot-start: %s\n' "$*" >&2; }
usage_error() { say "$*"; exit 2; }

is_true() {
  case "${1:-}" in
    true|1|yes) return 0 ;;
    false|0|no|'') return 1 ;;
    *) usage_error "expected true or false, got '$1'" ;;
  esac
}

# Where the CI system keeps each value, when PRPILOT_* does not say it.
ci=none
if [ -n "${GITLAB_CI:-}" ]; then
  ci=gitlab
  : "${PRPILOT_REPO:=${CI_PROJECT_DIR:-}}" "${PRPILOT_BASE:=${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}}" "${PRPILOT_HEAD:=${CI_COMMIT_SHA:-}}"
  : "${PRPILOT_PR:=${CI_MERGE_REQUEST_IID:-}}" "${PRPILOT_TITLE:=${CI_MERGE_REQUEST_TITLE:-}}" "${PRPILOT_AUTHOR:=${GITLAB_USER_LOGIN:-}}"
elif [ -n "${BUILDKITE:-}" ]; then
  ci=buildkite
  pr="${BUILDKITE_PULL_REQUEST:-}"
  [ "$pr" = false ] && pr=''
  base_branch="${BUILDKITE_PULL_REQUEST_BASE_BRANCH:-}"
  : "${PRPILOT_REPO:=${BUILDKITE_BUILD_CHECKOUT_PATH:-}}" "${PRPILOT_BASE:=${base_branch:+origin/$base_branch}}" "${PRPILOT_HEAD:=${BUILDKITE_COMMIT:-}}"
  : "${PRPILOT_PR:=$pr}" "${PRPILOT_AUTHOR:=${BUILDKITE_BUILD_AUTHOR:-}}"
elif [ -n "${JENKINS_URL:-}" ]; then
  ci=jenkins
  target="${CHANGE_TARGET:-}"
  : "${PRPILOT_REPO:=${WORKSPACE:-}}" "${PRPILOT_BASE:=${target:+origin/$target}}" "${PRPILOT_HEAD:=${GIT_COMMIT:-}}"
  : "${PRPILOT_PR:=${CHANGE_ID:-}}" "${PRPILOT_TITLE:=${CHANGE_TITLE:-}}" "${PRPILOT_AUTHOR:=${CHANGE_AUTHOR:-}}"
fi

require() {
  local name="$1" from="$2"
  if [ -z "${!name:-}" ]; then
    if [ "$ci" = none ]; then
      usage_error "$name is not set: $from"
    else
      usage_error "$name is not set and this $ci build does not provide it: $from"
    fi
  fi
}
require PRPILOT_REPO "set it to owner/name or to the path of the checked-out repository"
require PRPILOT_BASE "set it to the PR's base commit (is this a pull/merge request build?)"
require PRPILOT_HEAD "set it to the PR's head commit"
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  usage_error "TEMPORAL_ADDRESS is not set: point it at your Temporal frontend (host:7233). CI secrets are often withheld from builds of forks."
fi

args=(start --repo "$PRPILOT_REPO" --base "$PRPILOT_BASE" --head "$PRPILOT_HEAD")
if [ -n "${PRPILOT_PR:-}" ]; then
  [[ "$PRPILOT_PR" =~ ^[1-9][0-9]*$ ]] || usage_error "PRPILOT_PR must be a PR number (got '$PRPILOT_PR')"
  args+=(--pr "$PRPILOT_PR")
fi
[ -n "${PRPILOT_TITLE:-}" ] && args+=(--title "$PRPILOT_TITLE")
[ -n "${PRPILOT_AUTHOR:-}" ] && args+=(--author "$PRPILOT_AUTHOR")
[ -n "${PRPILOT_CONFIG:-}" ] && args+=(--config "$PRPILOT_CONFIG")
wait=false
if is_true "${PRPILOT_WAIT:-false}"; then
  wait=true
  args+=(--wait)
  is_true "${PRPILOT_UNTIL_BLOCKED:-true}" && args+=(--until-blocked)
fi
args+=(--json)

bin="${PRPILOT_BIN:-prpilot}"
command -v "$bin" >/dev/null 2>&1 || { say "cannot find the prpilot executable '$bin': set PRPILOT_BIN or put prpilot on PATH"; exit 1; }

say "starting ${PRPILOT_REPO}${PRPILOT_PR:+ #$PRPILOT_PR} (${PRPILOT_BASE}...${PRPILOT_HEAD}) on ${TEMPORAL_ADDRESS}"
# stdout is the {"workflowId","runId","url"} line; progress and messages go to stderr, straight to the log.
set +e
started="$("$bin" "${args[@]}")"
code=$?
set -e

json_field() {
  STARTED="$started" node -e 'try { const v = JSON.parse(process.env.STARTED)[process.argv[1]]; if (typeof v === "string") process.stdout.write(v); } catch {}' "$1" 2>/dev/null || true
}
workflow_id="$(json_field workflowId)"
url="$(json_field url)"

case "$code" in
  0) if [ "$wait" = true ]; then outcome=deployed; else outcome=started; fi ;;
  3) outcome=awaiting_approval ;;
  10) outcome=rolled_back ;;
  11) outcome=rejected ;;
  12) outcome=expired ;;
  13) outcome=failed ;;
  2) outcome=usage_error ;;
  *) outcome=error ;;
esac

output_file="${PRPILOT_OUTPUT_FILE:-${GITHUB_OUTPUT:-}}"
if [ -n "$output_file" ]; then
  printf 'outcome=%s\nexit-code=%s\nworkflow-id=%s\nurl=%s\n' "$outcome" "$code" "$workflow_id" "$url" >> "$output_file"
fi

say "outcome: $outcome${workflow_id:+ (workflow $workflow_id)}${url:+ $url}"
if [ "$code" = 3 ]; then
  approve="prpilot approve ${workflow_id:-<workflow id>} --by <you>"
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::notice title=prpilot approval needed::$approve${url:+ ($url)}"; fi
  say "a human must approve: $approve"
  if is_true "${PRPILOT_FAIL_ON_AWAITING_APPROVAL:-false}"; then exit 3; fi
  exit 0
fi
exit "$code"
