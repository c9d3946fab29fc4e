import type { PrpilotConfig } from '../../config/schema.js';
import type { RepoRef } from '../../workflows/input.js';
import type { ActivityDeps } from '../deps.js';
import { checkout } from '../scratch.js';
import { withHeartbeat } from '../heartbeat.js';
import { summarize } from '../staging/activity.js';
import { createBaselineStore } from '../staging/baselines.js';
import type { TrafficSummary } from '../staging/schema.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';

export interface CanaryStartInput {
  deploymentId: string;
  repo: RepoRef;
  baseSha: string;
  headSha: string;
  config: Pick<PrpilotConfig, 'service' | 'canary'>;
}

/**
 * Canary steps on the deploy target. Each is idempotent per deployment id, so a retry after a crash
 * never deploys twice; the sources live under the deployment's own folder until it is stopped.
 */
export function canaryActivities(deps: ActivityDeps) {
  const baselines = createBaselineStore(deps.paths.baselines);
  const sourceDir = (deploymentId: string) => path.join(deps.paths.scratch, 'deployments', deploymentId);
  async function startCanary(input: CanaryStartInput): Promise<{ url: string; startedAtEpochMs: number }> {
    const root = sourceDir(input.deploymentId);
    const [stable, canary] = await Promise.all([
      checkout(root, input.repo, input.baseSha, 'stable'),
      checkout(root, input.repo, input.headSha, 'canary'),
    ]);
    const { url } = await deps.target.startCanary(input.deploymentId, {
      stable: { label: 'stable', dir: stable.dir },
      canary: { label: 'canary', dir: canary.dir },
      service: input.config.service,
      percent: input.config.canary.percent,
      requestsPerSecond: input.config.canary.requestsPerSecond,
      paths: input.config.service.trafficPaths,
    });
    return { url, startedAtEpochMs: deps.now().getTime() };
  }

  return {
    startCanary: (input: CanaryStartInput) => withHeartbeat(() => startCanary(input)),

    async canaryStats(input: { deploymentId: string; sinceEpochMs: number }): Promise<{ canary: TrafficSummary; stable: TrafficSummary }> {
      const stats = await deps.target.stats(input.deploymentId, input.sinceEpochMs);
      return { canary: summarize(stats.canary), stable: summarize(stats.stable) };
    },

    async promoteCanary(input: { deploymentId: string; service: string; headSha: string; staging: TrafficSummary | null }): Promise<void> {
      await deps.target.promote(input.deploymentId);
      if (input.staging && input.staging.requests > 0) {
        await baselines.write({ ...input.staging, service: input.service, source: 'stored', measuredAt: deps.now().toISOString(), commit: input.headSha });
      }
    },

    async rollbackCanary(input: { deploymentId: string }): Promise<{ stableHealthy: boolean }> {
      return deps.target.rollback(input.deploymentId);
    },

    async stopDeployment(input: { deploymentId: string }): Promise<void> {
      await deps.target.stop(input.deploymentId);
      await rm(sourceDir(input.deploymentId), { recursive: true, force: true });
    },
  };
}
