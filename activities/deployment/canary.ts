import type { DeployConfig, PrpilotConfig } from '../../config/schema.js';
import type { RepoRef } from '../../workflows/input.js';
import type { StepReport } from '../../targets/deployTarget.js';
import type { ActivityDeps } from '../deps.js';
import { checkout } from '../scratch.js';
import { withHeartbeat } from '../heartbeat.js';
import { summarize } from '../staging/activity.js';
import { createBaselineStore } from '../staging/baselines.js';
import type { TrafficSummary } from '../staging/schema.js';
import { deployTargetFor } from './targets.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';

export interface CanaryStartInput {
  deploymentId: string;
  repo: RepoRef;
  baseSha: string;
  headSha: string;
  config: Pick<PrpilotConfig, 'service' | 'canary'>;
  /** The first ramp step's share; runs from before the ramp start at config.canary.percent. */
  percent?: number;
  /** Runs from before deploy targets carry none: local. */
  deploy?: DeployConfig;
}

/** Identifies a started canary on its target. */
export interface DeploymentRef {
  deploymentId: string;
  deploy?: DeployConfig;
}

/**
 * Canary steps on the deploy target. Each is idempotent per deployment id, so a retry after a crash
 * never deploys twice; the sources live under the deployment's own folder until it is stopped.
 */
export function canaryActivities(deps: ActivityDeps) {
  const baselines = createBaselineStore(deps.paths.baselines);
  const sourceDir = (deploymentId: string) => path.join(deps.paths.scratch, 'deployments', deploymentId);
  async function startCanary(input: CanaryStartInput): Promise<{ url: string | null; startedAtEpochMs: number; report: StepReport }> {
    const root = sourceDir(input.deploymentId);
    const [stable, canary] = await Promise.all([
      checkout(root, input.repo, input.baseSha, 'stable'),
      checkout(root, input.repo, input.headSha, 'canary'),
    ]);
    const { url, ...report } = await deployTargetFor(deps, input.deploy).startCanary(input.deploymentId, {
      stable: { label: 'stable', sha: input.baseSha, dir: stable.dir },
      canary: { label: 'canary', sha: input.headSha, dir: canary.dir },
      service: input.config.service,
      percent: input.percent ?? input.config.canary.percent,
      requestsPerSecond: input.config.canary.requestsPerSecond,
      paths: input.config.service.trafficPaths,
    });
    return { url, startedAtEpochMs: deps.now().getTime(), report };
  }

  return {
    startCanary: (input: CanaryStartInput) => withHeartbeat(() => startCanary(input)),

    /** Runs from before the statistical judge read the canary's numbers with this (see watchCanary). */
    async canaryStats(input: { deploymentId: string; sinceEpochMs: number }): Promise<{ canary: TrafficSummary; stable: TrafficSummary }> {
      const stats = await deps.target.stats(input.deploymentId, input.sinceEpochMs);
      return { canary: summarize(stats.canary), stable: summarize(stats.stable) };
    },

    async setCanaryWeight(input: DeploymentRef & { percent: number }): Promise<{ changedAtEpochMs: number; report: StepReport }> {
      const report = await withHeartbeat(() => deployTargetFor(deps, input.deploy).setCanaryPercent(input.deploymentId, input.percent));
      return { changedAtEpochMs: deps.now().getTime(), report };
    },

    async promoteCanary(input: DeploymentRef & { service: string; headSha: string; staging: TrafficSummary | null }): Promise<StepReport> {
      const report = await withHeartbeat(() => deployTargetFor(deps, input.deploy).promote(input.deploymentId));
      if (input.staging && input.staging.requests > 0) {
        await baselines.write({ ...input.staging, service: input.service, source: 'stored', measuredAt: deps.now().toISOString(), commit: input.headSha });
      }
      return report;
    },

    async rollbackCanary(input: DeploymentRef): Promise<StepReport & { stableHealthy: boolean }> {
      return withHeartbeat(() => deployTargetFor(deps, input.deploy).rollback(input.deploymentId));
    },

    async stopDeployment(input: DeploymentRef): Promise<void> {
      await withHeartbeat(() => deployTargetFor(deps, input.deploy).stop(input.deploymentId));
      await rm(sourceDir(input.deploymentId), { recursive: true, force: true });
    },
  };
}
