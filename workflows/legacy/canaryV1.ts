/**
 * The first canary (runs started before the ramp and the statistical judge), kept verbatim so those
 * runs replay and finish as they began. New runs take workflows/canary.ts.
 *
 * The canary wait: traffic split to the new version for the window, judged every interval against the
 * limits, rolled back at the first failure (or when the window ends inconclusive), promoted otherwise.
 * Whatever happens (failure, cancellation, a new revision) the deployment's processes are stopped.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { judgeCanary, type CanaryJudgement } from '../policy/canaryJudgeV1.js';
import { errorMessage } from '../errors.js';
import type { TrafficSummary } from '../../activities/staging/schema.js';
import type { PipelineRun } from '../run.js';

export type CanaryEnding =
  | { kind: 'deployed'; reason: string }
  | { kind: 'rolled_back'; reason: string; incidentReportSha256: string | null }
  | { kind: 'failed'; reason: string };

export async function runCanaryV1(run: PipelineRun, staging: TrafficSummary | null): Promise<CanaryEnding> {
  const { canary, service } = run.input.config;
  const deploymentId = `${run.workflowId}-r${run.attempt}`;
  const timeline: { at: string; event: string }[] = [];
  const note = (event: string) => timeline.push({ at: new Date().toISOString(), event });
  run.setStage('canary', `canary at ${canary.percent}% for ${canary.durationSeconds}s`);
  try {
    const started = await run.acts.startCanary({
      deploymentId, repo: run.input.repo, baseSha: run.input.baseSha, headSha: run.headSha, config: { service, canary },
    });
    note(`canary started at ${canary.percent}% of ${canary.requestsPerSecond} req/s (${started.url})`);
    const judged = await watch(run, deploymentId, started.startedAtEpochMs, note);
    await run.record({
      policy: {
        stage: 'canary',
        decision: `canary ${judged.judgement.verdict}`,
        rationale: judged.judgement.reasons.join('; '),
        gates: [],
        details: { canary: judged.canary, stable: judged.stable, limits: canary, early: judged.early },
        input: { deploymentId, canary: judged.canary, stable: judged.stable },
      },
    });
    if (judged.judgement.verdict === 'pass') {
      run.setStage('promoting');
      await run.acts.promoteCanary({ deploymentId, service: service.name, headSha: run.headSha, staging });
      note('promoted: canary takes all traffic');
      return { kind: 'deployed', reason: `canary passed: ${judged.judgement.reasons.join('; ')}` };
    }
    note(`rollback: ${judged.judgement.reasons.join('; ')}`);
    return await rollBack(run, deploymentId, judged, timeline);
  } catch (error) {
    if (isCancellation(error)) throw error;
    // The canary could not be run or judged: fail closed, never promote what was not judged.
    await CancellationScope.nonCancellable(() => run.acts.rollbackCanary({ deploymentId }));
    return { kind: 'failed', reason: `canary could not be completed, rolled back: ${errorMessage(error)}` };
  } finally {
    await CancellationScope.nonCancellable(() => run.acts.stopDeployment({ deploymentId }));
  }
}

interface Judged {
  judgement: CanaryJudgement;
  canary: TrafficSummary;
  stable: TrafficSummary;
  early: boolean;
}

async function watch(run: PipelineRun, deploymentId: string, sinceEpochMs: number, note: (event: string) => void): Promise<Judged> {
  const limits = run.input.config.canary;
  const windowEnds = Date.now() + limits.durationSeconds * 1000;
  const pauseEnds = windowEnds + limits.maxPauseSeconds * 1000;
  for (;;) {
    const remaining = windowEnds - Date.now();
    // Past the window (only while paused) keep judging at the interval, not faster.
    await sleep(remaining > 0 ? Math.max(1_000, Math.min(limits.intervalSeconds * 1000, remaining)) : limits.intervalSeconds * 1000);
    const stats = await run.acts.canaryStats({ deploymentId, sinceEpochMs });
    const judgement = judgeCanary(stats.canary, limits);
    note(`judged ${stats.canary.requests} canary requests: ${judgement.verdict}`);
    if (judgement.verdict === 'fail') return { judgement, ...stats, early: Date.now() < windowEnds };
    // A paused canary keeps being judged (and still rolls back) but is not promoted.
    if (Date.now() >= windowEnds && !run.paused) return { judgement, ...stats, early: false };
    if (Date.now() >= pauseEnds) {
      return { judgement: { verdict: 'inconclusive', reasons: [`paused for longer than ${limits.maxPauseSeconds}s after the window: rolled back (fail closed)`] }, ...stats, early: false };
    }
  }
}

async function rollBack(run: PipelineRun, deploymentId: string, judged: Judged, timeline: { at: string; event: string }[]): Promise<CanaryEnding> {
  run.setStage('rolling_back', `rolling back: ${judged.judgement.reasons.join('; ')}`);
  const { stableHealthy } = await CancellationScope.nonCancellable(() => run.acts.rollbackCanary({ deploymentId }));
  timeline.push({ at: new Date().toISOString(), event: `rolled back; stable ${stableHealthy ? 'healthy' : 'NOT healthy'}` });
  const reason = judged.judgement.verdict === 'inconclusive'
    ? `canary inconclusive, rolled back (fail closed): ${judged.judgement.reasons.join('; ')}`
    : `canary failed, rolled back: ${judged.judgement.reasons.join('; ')}`;
  const incident = await run.acts.writeIncidentReport({
    workflowId: run.workflowId,
    service: run.input.config.service.name,
    title: run.input.title,
    headSha: run.headSha,
    reasons: judged.judgement.reasons,
    canary: judged.canary,
    stable: judged.stable,
    timeline,
    auditCommand: `prpilot audit ${run.workflowId} --format md`,
  }).catch((error: unknown) => {
    if (isCancellation(error)) throw error;
    return null; // the rollback stands without a report; its absence is visible in the audit
  });
  if (incident) await run.record({ draft: incident.decision });
  return { kind: 'rolled_back', reason, incidentReportSha256: incident?.reportSha256 ?? null };
}
