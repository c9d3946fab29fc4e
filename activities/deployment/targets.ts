/**
 * The deploy target a canary runs on, chosen by the run's `deploy` config: the worker's local target
 * (real processes behind a weighted proxy) or the user's scripts (targets/command).
 */
import type { DeployConfig } from '../../config/schema.js';
import type { DeployTarget } from '../../targets/deployTarget.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { ActivityDeps } from '../deps.js';
import type { CommandTargetConfig } from '../../targets/command/config.js';
import { classifyFailures } from './failures.js';

const nothingCaptured = { outputSha256: null, alreadyDone: false };

/** The local target behind the DeployTarget interface: its steps are idempotent by deployment id already. */
export function localDeployTarget(target: LocalTarget): DeployTarget {
  return {
    kind: 'local',
    async startCanary(deploymentId, spec) {
      const { url } = await target.startCanary(deploymentId, {
        stable: { label: spec.stable.label, dir: spec.stable.dir },
        canary: { label: spec.canary.label, dir: spec.canary.dir },
        service: spec.service,
        percent: spec.percent,
        requestsPerSecond: spec.requestsPerSecond,
        paths: spec.paths,
      });
      return { ...nothingCaptured, url };
    },
    async setCanaryPercent(deploymentId, percent) {
      await target.setCanaryPercent(deploymentId, percent);
      return nothingCaptured;
    },
    async promote(deploymentId) {
      await target.promote(deploymentId);
      return nothingCaptured;
    },
    async rollback(deploymentId) {
      return { ...nothingCaptured, ...(await target.rollback(deploymentId)) };
    },
    async stop(deploymentId) {
      await target.stop(deploymentId);
      return nothingCaptured;
    },
  };
}

/** Runs started before the command target carry no `deploy` in their activity inputs: they are local. */
export function deployTargetFor(deps: ActivityDeps, deploy: DeployConfig | undefined): DeployTarget {
  const target = !deploy || deploy.target === 'local' ? localDeployTarget(deps.target) : commandTarget(deps, deploy.command);
  return {
    kind: target.kind,
    startCanary: (id, spec) => classifyFailures(() => target.startCanary(id, spec)),
    setCanaryPercent: (id, percent) => classifyFailures(() => target.setCanaryPercent(id, percent)),
    promote: (id) => classifyFailures(() => target.promote(id)),
    rollback: (id) => classifyFailures(() => target.rollback(id)),
    stop: (id) => classifyFailures(() => target.stop(id)),
  };
}

/** Built lazily per step: a config the target rejects fails the step it was needed for, not the worker. */
function commandTarget(deps: ActivityDeps, config: CommandTargetConfig): DeployTarget {
  const target = () => classifyFailures(async () => deps.commandTarget(config));
  return {
    kind: 'command',
    startCanary: async (id, spec) => (await target()).startCanary(id, spec),
    setCanaryPercent: async (id, percent) => (await target()).setCanaryPercent(id, percent),
    promote: async (id) => (await target()).promote(id),
    rollback: async (id) => (await target()).rollback(id),
    stop: async (id) => (await target()).stop(id),
  };
}
