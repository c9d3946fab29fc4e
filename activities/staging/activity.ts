import { Context } from '@temporalio/activity';
import type { PrpilotConfig } from '../../config/schema.js';
import type { RepoRef } from '../../workflows/input.js';
import type { DecisionDraft } from '../../workflows/records.js';
import type { ActivityDeps } from '../deps.js';
import { offlineIdentity, draftFrom } from '../agent.js';
import { NO_TOKENS } from '../../workflows/records.js';
import { checkout } from '../scratch.js';
import { withHeartbeat } from '../heartbeat.js';
import { createBaselineStore } from './baselines.js';
import { stagingReportSchema, type Baseline, type StagingReport, type TrafficSummary } from './schema.js';

export interface StagingInput {
  deploymentId: string;
  repo: RepoRef;
  baseSha: string;
  headSha: string;
  config: Pick<PrpilotConfig, 'service' | 'staging'>;
}

const STAGING_AGENT = offlineIdentity('staging', 'local-staging/1.0.0', { measures: 'smoke paths, then load for the perf window' });

/**
 * Deploys the head to staging (real processes), smoke tests it, measures it under load for the perf
 * window and compares with the stored baseline (measuring the base the same way when there is none).
 * Staging is always torn down before the activity returns.
 */
export function deployStagingActivity(deps: ActivityDeps) {
  const baselines = createBaselineStore(deps.paths.baselines);
  return async function deployStaging(input: StagingInput): Promise<{ report: StagingReport; decision: DecisionDraft }> {
    return withHeartbeat(() => stage(input));
  };

  async function stage(stagingInput: StagingInput): Promise<{ report: StagingReport; decision: DecisionDraft }> {
    const context = Context.current();
    // Each attempt has its own deployment: a retry must never stop (or be stopped by) an earlier attempt's processes.
    const input = { ...stagingInput, deploymentId: `${stagingInput.deploymentId}-a${context.info.attempt}` };
    const { service, staging } = input.config;
    const measureWindow = async (deploymentId: string, label: string): Promise<TrafficSummary> => {
      const stats = await deps.target.measure(deploymentId, {
        requestsPerSecond: staging.requestsPerSecond,
        windowSeconds: staging.perfWindowSeconds,
        paths: service.trafficPaths,
        onProgress: (elapsed) => context.heartbeat({ label, elapsed, of: staging.perfWindowSeconds }),
      });
      return summarize(stats[label]);
    };
    const head = await checkout(deps.paths.scratch, input.repo, input.headSha, 'staging');
    try {
      await deps.target.startSingle(input.deploymentId, { label: 'staging', dir: head.dir, env: { SERVICE_ENV: 'staging' } }, service);
      context.heartbeat('staging started');
      const smoke = await deps.target.smoke(input.deploymentId, service.smokePaths);
      const smokePassed = smoke.every((result) => result.ok);
      const measured = smokePassed ? await measureWindow(input.deploymentId, 'staging') : null;
      await deps.target.stop(input.deploymentId);
      const baseline = smokePassed ? await baselines.read(service.name) ?? await measureBase(input, measureWindow) : null;
      const report = stagingReportSchema.parse({
        smoke,
        smokePassed,
        windowSeconds: staging.perfWindowSeconds,
        requestsPerSecond: staging.requestsPerSecond,
        measured,
        baseline,
        logSha256: null,
        summary: smokePassed
          ? `smoke passed on ${smoke.length} path(s); ${measured?.requests} requests in ${staging.perfWindowSeconds}s, error rate ${((measured?.errorRate ?? 0) * 100).toFixed(2)}%, p99 ${measured?.p99Ms} ms`
          : `smoke failed: ${smoke.filter((result) => !result.ok).map((result) => `${result.path} → ${result.status}`).join(', ')}`,
      });
      return {
        report,
        decision: draftFrom({ output: report, identity: STAGING_AGENT, tokens: { ...NO_TOKENS } }, {
          stage: 'staging',
          decision: smokePassed ? 'staging deployed and measured' : 'staging smoke tests failed',
          rationale: report.summary,
          input: { headSha: input.headSha, service, staging },
          details: { measured, baseline, smoke },
        }),
      };
    } finally {
      await deps.target.stop(input.deploymentId);
      await head.remove();
    }
  }

  async function measureBase(
    input: StagingInput,
    measureWindow: (deploymentId: string, label: string) => Promise<TrafficSummary>,
  ): Promise<Baseline> {
    const deploymentId = `${input.deploymentId}-baseline`;
    const base = await checkout(deps.paths.scratch, input.repo, input.baseSha, 'baseline');
    try {
      await deps.target.startSingle(deploymentId, { label: 'baseline', dir: base.dir, env: { SERVICE_ENV: 'staging' } }, input.config.service);
      const measured = await measureWindow(deploymentId, 'baseline');
      return { ...measured, service: input.config.service.name, source: 'measured-base', measuredAt: deps.now().toISOString(), commit: input.baseSha };
    } finally {
      await deps.target.stop(deploymentId);
      await base.remove();
    }
  }
}

export function summarize(stats: { requests: number; errors: number; errorRate: number; p50Ms: number; p99Ms: number } | undefined): TrafficSummary {
  if (!stats) return { requests: 0, errors: 0, errorRate: 0, p50Ms: 0, p99Ms: 0 };
  return { requests: stats.requests, errors: stats.errors, errorRate: stats.errorRate, p50Ms: stats.p50Ms, p99Ms: stats.p99Ms };
}
