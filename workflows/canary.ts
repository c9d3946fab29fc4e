/**
 * The canary: once the service's deploy lock is ours, the new version takes a share of traffic, ramped
 * through the configured steps (5% for 10 minutes by default). Each step is watched by one activity that
 * judges canary against stable every interval (workflows/policy/canaryJudge.ts) and returns early on a
 * clear failure; the watch's verdicts go to the artifact store and one decision record seals their hash
 * and counts (runs from before canary v3 seal one record per verdict). A paused canary is still judged
 * (and rolled back on failure) but does not advance until resumed. Passing every step promotes; anything
 * else rolls back, writes an incident report and fails closed. A canary cancelled half-way (a revision
 * pushed, the run cancelled) is rolled back too. Whatever happens, the deployment is stopped and the lock
 * released.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { canarySteps, type CanaryStep } from '../config/schema.js';
import type { TrafficSummary } from '../activities/staging/schema.js';
import type { PolicyDecision } from '../activities/audit/recordDecision.js';
import type { DeploymentRef } from '../activities/deployment/canary.js';
import type { StepReport } from '../targets/deployTarget.js';
import type { IntervalVerdict, VerdictLog, WatchResult } from './canaryVerdicts.js';
import { acquireDeployLock, type DeployLockLease } from './deployLockClient.js';
import { errorMessage } from './errors.js';
import { runCanaryV1, type CanaryEnding } from './legacy/canaryV1.js';
import type { PipelineRun } from './run.js';

export type { CanaryEnding } from './legacy/canaryV1.js';

/** A paused canary is judged in holds this long; a resume takes effect when the current hold ends. */
const HOLD_SECONDS = 30;

type Timeline = { at: string; event: string }[];

interface StepFailure {
  step: number;
  percent: number;
  watch: WatchResult;
}

export async function runCanary(run: PipelineRun, staging: TrafficSummary | null): Promise<CanaryEnding> {
  if (!run.version.canaryV2) return runCanaryV1(run, staging);
  const { service, deploy } = run.input.config;
  const ref: DeploymentRef = { deploymentId: `${run.workflowId}-r${run.attempt}`, deploy };
  const timeline: Timeline = [];
  const note = (event: string) => timeline.push({ at: new Date().toISOString(), event });

  run.setStage('waiting_for_lock', `waiting for the deploy lock of ${service.name} (one canary per service at a time)`);
  // The canary of this run's previous head may still be stopping. The lock would take this request as
  // its holder asking again, so it is made only once that canary has stopped and handed the lock back.
  if (run.version.teardownOverlapped) await run.settled();
  const askedAt = Date.now();
  const lease = await acquireDeployLock(service.name, run.lockActs, (position, holder) => {
    const where = [holder && `held by ${holder}`, position && `we are number ${position} in line`].filter(Boolean).join(', ');
    run.describe(`waiting for the deploy lock of ${service.name}${where ? ` (${where})` : ''}`);
  });
  let settled = false;
  try {
    const waitedSeconds = Math.round((Date.now() - askedAt) / 1000);
    note(`deploy lock of ${service.name} acquired after ${waitedSeconds}s`);
    await run.record({
      policy: stepDecision('canary', `deploy lock of ${service.name} acquired`, `no other canary of ${service.name} runs until this one ends; waited ${waitedSeconds}s`, { service: service.name, waitedSeconds }),
    });
    const failure = await rampUp(run, ref, note);
    // From here the canary is rolled back or promoted: a cancellation no longer leaves it half-way.
    settled = true;
    if (failure) return await rollBack(run, ref, failure, timeline);
    run.setStage('promoting');
    const promoted = await run.acts.promoteCanary({ ...ref, service: service.name, headSha: run.headSha, staging });
    note('promoted: the canary takes all traffic');
    await run.record({ policy: stepDecision('promoting', 'canary promoted to 100%', 'every ramp step passed its judgement', { report: promoted }) });
    return { kind: 'deployed', reason: `canary passed ${canarySteps(run.input.config.canary).length} step(s) and was promoted` };
  } catch (error) {
    if (isCancellation(error)) {
      // Stopping alone may leave the canary its share of traffic (the command target's stop only frees resources).
      if (!settled && run.version.rollbackOnCancel) await CancellationScope.nonCancellable(() => rollBackCancelled(run, ref));
      throw error;
    }
    // The canary could not be run or judged: fail closed, never promote what was not judged.
    await CancellationScope.nonCancellable(() => run.acts.rollbackCanary(ref));
    return { kind: 'failed', reason: `canary could not be completed, rolled back: ${errorMessage(error)}` };
  } finally {
    if (run.version.teardownOverlapped) run.continueWhile(CancellationScope.nonCancellable(() => tearDown(run, ref, lease)));
    else await CancellationScope.nonCancellable(() => tearDownBeforeTheEnd(run, ref, lease));
  }
}

/**
 * Stops the deployment, then hands the lock back: only once stopped, so the next canary of this service
 * never overlaps this one. It goes on while the run seals its outcome and tells the team. A stop that
 * fails after every retry is sealed after the outcome and leaves it as it was: a promoted canary is deployed.
 */
async function tearDown(run: PipelineRun, ref: DeploymentRef, lease: DeployLockLease): Promise<void> {
  try {
    await run.acts.stopDeployment(ref);
  } catch (error) {
    run.recordWhenSettled(stepDecision('done', `deployment ${ref.deploymentId} not stopped`, `stopping it failed after every retry, so its processes may still run; the deploy lock is released all the same: ${errorMessage(error)}`, {
      deploymentId: ref.deploymentId, error: errorMessage(error),
    }));
  } finally {
    await lease.release();
  }
}

/** Runs started before the overlapped teardown: stopped before the canary ends, a failed stop fails the run. */
async function tearDownBeforeTheEnd(run: PipelineRun, ref: DeploymentRef, lease: DeployLockLease): Promise<void> {
  try {
    await run.acts.stopDeployment(ref);
  } finally {
    // Canary v3 does not wait for the release's delivery here: the run's last record and notice go meanwhile.
    if (run.version.canaryV3) run.continueWhile(lease.release());
    else await lease.release();
  }
}

/** Starts the canary and walks the ramp; returns the step that did not pass, or null when all did. */
async function rampUp(run: PipelineRun, ref: DeploymentRef, note: (event: string) => void): Promise<StepFailure | null> {
  const { canary, service } = run.input.config;
  const steps = canarySteps(canary);
  for (const [index, step] of steps.entries()) {
    run.setStage('canary', `canary step ${index + 1}/${steps.length}: ${step.percent}% for ${step.durationSeconds}s`);
    const { sinceEpochMs, report } = index === 0 ? await startFirstStep(run, ref, step) : await run.acts.setCanaryWeight({ ...ref, percent: step.percent })
      .then((changed) => ({ sinceEpochMs: changed.changedAtEpochMs, report: changed.report }));
    note(`step ${index + 1}/${steps.length}: ${step.percent}% of traffic to the canary${index === 0 ? ` (${service.trafficPaths.length} path(s))` : ''}`);
    await run.record({
      policy: stepDecision('canary', `canary step ${index + 1}/${steps.length} at ${step.percent}%`, `ramp step ${index + 1}: ${step.percent}% for ${step.durationSeconds}s`, { step: index + 1, ...step, report }),
    });
    const watch = await watchStep(run, ref, index, step, sinceEpochMs);
    note(`step ${index + 1} ${watch.outcome}: ${watch.reasons.join('; ')}`);
    if (watch.outcome !== 'passed' && watch.outcome !== 'held') return { step: index + 1, percent: step.percent, watch };
  }
  return null;
}

async function startFirstStep(run: PipelineRun, ref: DeploymentRef, step: CanaryStep): Promise<{ sinceEpochMs: number; report: StepReport }> {
  const { service, canary } = run.input.config;
  const started = await run.acts.startCanary({
    ...ref, repo: run.input.repo, baseSha: run.input.baseSha, headSha: run.headSha, config: { service, canary }, percent: step.percent,
  });
  return { sinceEpochMs: started.startedAtEpochMs, report: started.report };
}

/** One step: watched to its end (or a failure), then held while paused, judged all the while. */
async function watchStep(run: PipelineRun, ref: DeploymentRef, index: number, step: CanaryStep, sinceEpochMs: number): Promise<WatchResult> {
  const { canary, service } = run.input.config;
  const watchInput = {
    deploymentId: ref.deploymentId, service: service.name, sinceEpochMs, percent: step.percent,
    limits: { intervalSeconds: canary.intervalSeconds, maxErrorRate: canary.maxErrorRate, maxP99Ms: canary.maxP99Ms, minRequests: canary.minRequests, judge: canary.judge },
    metrics: canary.metrics,
    ...(run.version.canaryV3 ? { verdictLog: true } : {}),
  };
  let watch = await run.acts.watchCanary({ ...watchInput, mode: 'step', endsAtEpochMs: sinceEpochMs + step.durationSeconds * 1000 });
  await recordVerdicts(run, index, step, watch);
  const holdEnds = Date.now() + canary.maxPauseSeconds * 1000;
  // Bounded by count as well as by time: holds that end early (an unreachable target) cannot loop forever.
  const maxHolds = Math.ceil(canary.maxPauseSeconds / HOLD_SECONDS);
  for (let holds = 0; run.paused && (watch.outcome === 'passed' || watch.outcome === 'held'); holds++) {
    if (holds >= maxHolds || Date.now() >= holdEnds) {
      return { ...watch, outcome: 'inconclusive', reasons: [`paused for longer than ${canary.maxPauseSeconds}s: rolled back (fail closed)`] };
    }
    run.describe(`canary paused after step ${index + 1} at ${step.percent}%: still judged every ${canary.intervalSeconds}s, resume to continue`);
    watch = await run.acts.watchCanary({
      ...watchInput, mode: 'hold', endsAtEpochMs: Math.min(holdEnds, Date.now() + HOLD_SECONDS * 1000), inconclusiveSinceEpochMs: watch.inconclusiveSinceEpochMs,
    });
    await recordVerdicts(run, index, step, watch);
  }
  return watch;
}

/**
 * A watch's verdicts, and the pause/resume signals received meanwhile, sealed in one batch: one record
 * for the watch with its verdict log's hash (canary v3), or, in runs from before, one per verdict.
 */
async function recordVerdicts(run: PipelineRun, index: number, step: CanaryStep, watch: WatchResult): Promise<void> {
  const controls: PolicyDecision[] = run.unrecordedControls.splice(0).map((control) => stepDecision(
    'canary', `canary ${control.kind === 'pause' ? 'paused' : 'resumed'} by ${control.by}`,
    control.reason ?? (control.kind === 'pause' ? 'paused: judged but not advanced until resumed' : 'resumed: the ramp continues'),
    { ...control },
  ));
  const verdicts = watch.verdictLog
    ? [watchDecision(index, step, watch, watch.verdictLog)]
    : watch.intervals.map((interval) => verdictDecision(index, step, interval, watch.source));
  await run.recordAll([...controls, ...verdicts]);
}

function watchDecision(index: number, step: CanaryStep, watch: WatchResult, log: VerdictLog): PolicyDecision {
  const counts = Object.entries(log.verdicts).filter(([, count]) => count > 0).map(([verdict, count]) => `${count} ${verdict}`);
  return stepDecision(
    'canary',
    `canary step ${index + 1} (${step.percent}%) ${watch.outcome}: ${log.judgements} judgement(s)${counts.length ? ` (${counts.join(', ')})` : ''}`,
    watch.reasons.join('; '),
    {
      step: index + 1, percent: step.percent, source: watch.source, outcome: watch.outcome, endedEarly: watch.endedEarly,
      judgements: log.judgements, verdicts: log.verdicts, verdictLogSha256: log.sha256, last: watch.intervals,
    },
  );
}

function verdictDecision(index: number, step: CanaryStep, interval: IntervalVerdict, source: WatchResult['source']): PolicyDecision {
  const what = interval.mode === 'final' ? 'final judgement' : `judgement at ${interval.elapsedSeconds}s`;
  return stepDecision(
    'canary',
    `canary step ${index + 1} (${step.percent}%) ${what}: ${interval.verdict}`,
    interval.reasons.join('; '),
    { step: index + 1, percent: step.percent, source, ...interval },
  );
}

function stepDecision(stage: 'canary' | 'promoting' | 'rolling_back' | 'done', decision: string, rationale: string, details: Record<string, unknown>): PolicyDecision {
  return { stage, decision, rationale, gates: [], details, input: details };
}

async function rollBack(run: PipelineRun, ref: DeploymentRef, failure: StepFailure, timeline: Timeline): Promise<CanaryEnding> {
  const reasons = failure.watch.reasons;
  run.setStage('rolling_back', `rolling back: ${reasons.join('; ')}`);
  const rolledBack = await CancellationScope.nonCancellable(() => run.acts.rollbackCanary(ref));
  timeline.push({ at: new Date().toISOString(), event: `rolled back; stable ${rolledBack.stableHealthy ? 'healthy' : 'NOT healthy'}` });
  await run.record({
    policy: stepDecision('rolling_back', `canary rolled back at step ${failure.step} (${failure.percent}%)`, reasons.join('; '), {
      step: failure.step, outcome: failure.watch.outcome, early: failure.watch.endedEarly, stableHealthy: rolledBack.stableHealthy, report: rolledBack,
    }),
  });
  const reason = failure.watch.outcome === 'inconclusive'
    ? `canary inconclusive, rolled back (fail closed): ${reasons.join('; ')}`
    : `canary failed${failure.watch.endedEarly ? ' early' : ''} at step ${failure.step} (${failure.percent}%), rolled back: ${reasons.join('; ')}`;
  const last = failure.watch.intervals.at(-1);
  const incident = await run.acts.writeIncidentReport({
    workflowId: run.workflowId,
    service: run.input.config.service.name,
    title: run.input.title,
    headSha: run.headSha,
    reasons,
    canary: summary(last?.canary),
    stable: summary(last?.stable),
    timeline,
    judge: {
      step: failure.step, percent: failure.percent, source: failure.watch.source, intervals: failure.watch.intervals,
      ...(failure.watch.verdictLog ? { verdictLogSha256: failure.watch.verdictLog.sha256 } : {}),
    },
    auditCommand: `prpilot audit ${run.workflowId} --format md`,
    notifyTeam: false,
  }).catch((error: unknown) => {
    if (isCancellation(error)) throw error;
    return null; // the rollback stands without a report; its absence is visible in the audit
  });
  if (incident) {
    await run.record({ draft: incident.decision });
    await run.acts.notify({
      event: 'incident_report', workflowId: run.workflowId, title: incident.title, text: `${incident.title}: ${reason}`, artifactSha256: incident.reportSha256,
    }).catch((error: unknown) => {
      if (isCancellation(error)) throw error; // a notifier outage does not undo the rollback
    });
  }
  return { kind: 'rolled_back', reason, incidentReportSha256: incident?.reportSha256 ?? null };
}

/** A canary cancelled before its judgement ended: traffic goes back to stable, and the audit says why. */
async function rollBackCancelled(run: PipelineRun, ref: DeploymentRef): Promise<void> {
  const why = run.pendingHead ? `revision ${run.pendingHead.slice(0, 12)} was pushed` : 'the run was cancelled';
  run.describe(`rolling back the canary: ${why}`);
  const rolledBack = await run.acts.rollbackCanary(ref);
  await run.record({
    policy: stepDecision('rolling_back', `canary rolled back: ${why}`, `the canary of ${run.headSha.slice(0, 12)} was cancelled before its judgement ended; its traffic goes back to stable and nothing of it is promoted`, {
      headSha: run.headSha, newHead: run.pendingHead, stableHealthy: rolledBack.stableHealthy, report: rolledBack,
    }),
  });
}

function summary(brief: IntervalVerdict['canary'] | undefined): TrafficSummary {
  if (!brief) return { requests: 0, errors: 0, errorRate: 0, p50Ms: 0, p99Ms: 0 };
  return { ...brief, errorRate: brief.requests === 0 ? 0 : brief.errors / brief.requests };
}
