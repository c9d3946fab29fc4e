/**
 * prpilot's own metrics, read off the decision records as the worker seals them. Every decision goes
 * through the recordDecision(s) local activities, so an activity interceptor sees the whole pipeline
 * (outcome, gates, rollbacks, verdicts, tokens, timestamps) without the workflow doing anything: no
 * command, no sink, nothing in history changes.
 *
 * Counted at least once: a decision sealed again after a failed workflow task counts again; a replay
 * does not (local activity results come back from history, the activity does not run).
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { z } from 'zod';
import { outcomeSchema, type Gate, type Outcome } from '../../workflows/messages.js';
import { sealedDecisionSchema, type DecisionRecord } from '../../workflows/records.js';
import { verdictLogSchema } from '../../workflows/canaryVerdicts.js';

export const tokenKinds = ['input', 'output', 'cache_read', 'cache_write'] as const;
export type TokenKind = (typeof tokenKinds)[number];
export const canaryVerdicts = ['pass', 'fail', 'inconclusive'] as const;
export type CanaryVerdict = (typeof canaryVerdicts)[number];

/** One thing to count or time; workers/metrics.ts turns these into Prometheus series. */
export type Observation =
  | { kind: 'pr'; outcome: Outcome }
  | { kind: 'stage_duration'; stage: string; seconds: number }
  | { kind: 'escalation'; gate: Gate }
  | { kind: 'rollback' }
  | { kind: 'tokens'; tokenKind: TokenKind; count: number }
  | { kind: 'canary_verdict'; verdict: CanaryVerdict; count: number };

/**
 * Label values come from records, which any code can write: only these stages are labels, anything
 * else is `other`, so a typo cannot create unbounded series.
 */
const KNOWN_STAGES = new Set([
  'review', 'tests', 'staging', 'validation', 'deployment', 'gates', 'awaiting_approval', 'waiting_for_lock',
  'canary', 'promoting', 'rolling_back',
]);

const verdictSchema = z.enum(canaryVerdicts);
/** A canary v3 watch seals one record with its verdicts counted (workflows/canaryVerdicts.ts VerdictLog). */
const verdictCountsSchema = verdictLogSchema.shape.verdicts;
/** Canary runs started before the ramp record one verdict as `canary <verdict>` (workflows/legacy/canaryV1.ts). */
const LEGACY_VERDICT = /^canary (pass|fail|inconclusive)$/;
/** The `done` record's decision, as workflows/prToProduction.ts `finish` writes it. */
const OUTCOME = /^outcome: (\w+)$/;

interface Visit {
  stage: string;
  seconds: number;
  /** False when this worker did not see the visit begin (it started on another worker): not observed. */
  complete: boolean;
}

interface Track {
  visit: Visit | null;
  lastAtMs: number;
  /** What the pipeline does after the last record: `awaiting_approval` after gates fired, else that record's stage. */
  pending: string;
}

/**
 * Turns a workflow's decision records, in order, into observations. Stage durations: the time from one
 * record to the next belongs to the later record's stage (the stage whose work produced it), except
 * the time before `done`, which belongs to what the pipeline was doing (so an approval that expired
 * counts as time awaiting approval). A visit to a stage is observed when the pipeline leaves it.
 * The review stage starts when prepareChange starts (`pipelineStarted`).
 */
export class PipelineTracker {
  private readonly tracks = new Map<string, Track>();

  /** At most this many pipelines are timed at once; the oldest is forgotten first. */
  constructor(private readonly maxTracked = 5000) {}

  get tracked(): number {
    return this.tracks.size;
  }

  /** The first activity of a pipeline began: its review stage starts now (a pipeline already tracked is left alone). */
  pipelineStarted(workflowId: string, atMs: number): void {
    if (this.tracks.has(workflowId)) return;
    this.remember(workflowId, { visit: null, lastAtMs: atMs, pending: 'review' });
  }

  observe(record: DecisionRecord): Observation[] {
    const observations: Observation[] = [...tokenObservations(record), ...countObservations(record, this.tracks.get(record.workflowId)?.pending)];
    const atMs = Date.parse(record.at);
    const track = this.tracks.get(record.workflowId);
    const done = record.stage === 'done';
    let visit: Visit | null;
    if (!track) {
      visit = done ? null : { stage: record.stage, seconds: 0, complete: false };
    } else {
      const stage = done ? track.pending : record.stage;
      const seconds = Math.max(0, (atMs - track.lastAtMs) / 1000);
      if (track.visit && track.visit.stage === stage) {
        visit = { ...track.visit, seconds: track.visit.seconds + seconds };
      } else {
        observations.push(...closed(track.visit));
        visit = { stage, seconds, complete: true };
      }
    }
    if (done) {
      observations.push(...closed(visit));
      this.tracks.delete(record.workflowId);
    } else {
      const pending = record.stage === 'gates' && record.gates.length > 0 ? 'awaiting_approval' : record.stage;
      this.remember(record.workflowId, { visit, lastAtMs: atMs, pending });
    }
    return observations;
  }

  private remember(workflowId: string, track: Track): void {
    this.tracks.delete(workflowId); // re-inserted last: Map order is then least recently recorded first
    this.tracks.set(workflowId, track);
    for (const oldest of this.tracks.keys()) {
      if (this.tracks.size <= this.maxTracked) break;
      this.tracks.delete(oldest);
    }
  }
}

function closed(visit: Visit | null): Observation[] {
  if (!visit || !visit.complete) return [];
  return [{ kind: 'stage_duration', stage: KNOWN_STAGES.has(visit.stage) ? visit.stage : 'other', seconds: visit.seconds }];
}

function tokenObservations(record: DecisionRecord): Observation[] {
  const { input, output, cacheRead, cacheWrite } = record.tokens;
  const counts: [TokenKind, number][] = [['input', input], ['output', output], ['cache_read', cacheRead], ['cache_write', cacheWrite]];
  return counts.filter(([, count]) => count > 0).map(([tokenKind, count]) => ({ kind: 'tokens', tokenKind, count }));
}

function countObservations(record: DecisionRecord, previousStage: string | undefined): Observation[] {
  switch (record.stage) {
    case 'done': {
      const outcome = outcomeSchema.safeParse(OUTCOME.exec(record.decision)?.[1]);
      return outcome.success ? [{ kind: 'pr', outcome: outcome.data }] : [];
    }
    case 'gates':
      return record.gates.map((gate) => ({ kind: 'escalation', gate }));
    case 'rolling_back':
      // One rollback writes one or two records (the decision, then the incident report): counted on entry.
      return previousStage === 'rolling_back' ? [] : [{ kind: 'rollback' }];
    case 'canary': {
      const watched = verdictCountsSchema.safeParse(record.details.verdicts);
      if (watched.success) {
        return canaryVerdicts.filter((verdict) => watched.data[verdict] > 0).map((verdict) => ({ kind: 'canary_verdict', verdict, count: watched.data[verdict] }));
      }
      const verdict = verdictSchema.safeParse(record.details.verdict ?? LEGACY_VERDICT.exec(record.decision)?.[1]);
      return verdict.success ? [{ kind: 'canary_verdict', verdict: verdict.data, count: 1 }] : [];
    }
    default:
      return [];
  }
}

/** The sealed records an activity returned, if it is one of the two that seal decisions. */
function sealedRecords(activityType: string, result: unknown): DecisionRecord[] {
  if (activityType === 'recordDecision') {
    const sealed = sealedDecisionSchema.safeParse(result);
    return sealed.success ? [sealed.data.record] : [];
  }
  if (activityType === 'recordDecisions') {
    const sealed = z.array(sealedDecisionSchema).safeParse(result);
    return sealed.success ? sealed.data.map((one) => one.record) : [];
  }
  return [];
}

/**
 * The activity interceptor that feeds a tracker: it never changes an activity's result or failure,
 * and a metrics error is logged, never thrown.
 */
export function pipelineMetricsInterceptor(tracker: PipelineTracker, emit: (observation: Observation) => void): ActivityInterceptorsFactory {
  return (ctx: Context) => ({ inbound: new PipelineMetricsInbound(ctx, tracker, emit) });
}

class PipelineMetricsInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context, private readonly tracker: PipelineTracker, private readonly emit: (observation: Observation) => void) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { activityType, workflowExecution } = this.ctx.info;
    if (activityType === 'prepareChange' && workflowExecution) this.tracker.pipelineStarted(workflowExecution.workflowId, Date.now());
    const result = await next(input);
    try {
      for (const record of sealedRecords(activityType, result)) this.tracker.observe(record).forEach(this.emit);
    } catch (error) {
      this.ctx.log.warn(`prpilot metrics: could not count ${activityType}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return result;
  }
}
