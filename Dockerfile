# syntax=docker/dockerfile:1
# The prpilot worker image: `prpilot worker` by default, and every other prpilot command
# (`docker compose run --rm worker setup`, `... start`, `... codec-server`).
FROM node:20-bookworm-slim

# git reads the PR's repository (diffs, `git archive` of base and head); tar unpacks those archives.
# Repositories are mounted from the host and owned by another uid: git must not refuse them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tar \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'

WORKDIR /opt/prpilot

# tsx runs the TypeScript sources and is a runtime dependency; typescript and @types are not needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# Bundle the workflow code once: the worker checks the bundle was built from these sources and uses it.
RUN npm run build

# PRPILOT_HOME: artifacts, deploy state, logs. The artifacts and baselines directories exist (owned by
# the runtime user) so that volumes mounted there start with the right owner.
ENV NODE_ENV=production \
    PRPILOT_HOME=/var/lib/prpilot \
    PATH=/opt/prpilot/bin:$PATH
RUN mkdir -p /var/lib/prpilot/artifacts /var/lib/prpilot/baselines \
 && chown -R node:node /var/lib/prpilot
# One anonymous volume per container: the local deploy target's state belongs to one worker.
VOLUME ["/var/lib/prpilot"]

USER node
ENTRYPOINT ["prpilot"]
CMD ["worker"]
