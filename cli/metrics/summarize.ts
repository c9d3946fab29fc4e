/**
 * One closed run's history → what the DORA figures need: outcome, gates, start/close times and the
 * decision times (deployed, canary judged failing). Pure: the same history always gives the same summary.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { prResultSchema } from '../../workflows/input.js';
import { searchAttributes } from '../../workflows/messages.js';
import type { DecisionRecord } from '../../workflows/records.js';
import { auditFromHistory } from '../audit/trail.js';
import type { RunSummary } from './dora.js';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

export type Summarized = { ok: true; run: RunSummary } | { ok: false; reason: string };

/** A canary verdict that sent the run to rollback (a passing one never reads like this). */
const FAILING_VERDICT = /\b(fail|inconclusive|roll)/i;

/** Canary v3 seals one record per watch with its outcome; earlier runs, one per verdict, read by its wording. */
function judgedFailing(record: DecisionRecord): boolean {
  if (record.stage !== 'canary') return false;
  const outcome = record.details.outcome;
  return typeof outcome === 'string' ? outcome === 'failed' || outcome === 'inconclusive' : FAILING_VERDICT.test(record.decision);
}

export function summarizeHistory(workflowId: string, history: History): Summarized {
  const events = history.events ?? [];
  const started = events[0];
  const completed = events.find((event) => event.workflowExecutionCompletedEventAttributes);
  if (!started?.workflowExecutionStartedEventAttributes) return { ok: false, reason: 'history has no start event' };
  if (!completed) return { ok: false, reason: 'history has no completion event (the run did not complete)' };

  let resultValue: unknown;
  let records: DecisionRecord[];
  try {
    resultValue = decode(completed.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]);
    records = auditFromHistory(history).records;
  } catch (error) {
    return { ok: false, reason: `history does not decode: ${(error as Error).message.split('\n')[0]}` };
  }
  const result = prResultSchema.safeParse(resultValue);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, reason: `result is not a prToProduction result (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'})` };
  }

  const startedAtMs = eventMs(started);
  const closedAtMs = eventMs(completed);
  const doneIndex = lastIndex(records, (record) => record.stage === 'done');
  const done = records[doneIndex];
  const outcomeAtMs = done ? timeOf(done.at) ?? closedAtMs : closedAtMs;
  const restore = result.data.outcome === 'rolled_back'
    ? rollbackTimes(doneIndex === -1 ? records : records.slice(0, doneIndex), events, outcomeAtMs)
    : { canaryFailedAtMs: null, restoredAtMs: null };
  return {
    ok: true,
    run: {
      workflowId,
      outcome: result.data.outcome,
      startedAtMs,
      closedAtMs,
      outcomeAtMs,
      ...restore,
      gates: result.data.gates,
      approvedBy: result.data.approvedBy,
    },
  };
}

/**
 * A rollback's two moments, from the records before the outcome.
 * Judged failing: the last failing canary verdict; else the last time the run entered `rolling_back`
 * (its PipelineStage search attribute). Restored: the first `rolling_back` record after that (sealed once
 * the rollback activity returned: the rollback itself, or in older runs the incident report written
 * right after it); else the outcome. The incident report's writing time is not part of the restore.
 */
function rollbackTimes(records: DecisionRecord[], events: HistoryEvent[], outcomeAtMs: number) {
  const verdictIndex = lastIndex(records, judgedFailing);
  const verdict = records[verdictIndex];
  const entered = [...events].reverse().find((event) => stageUpsert(event) === 'rolling_back');
  const canaryFailedAtMs = verdict ? timeOf(verdict.at) : entered ? eventMs(entered) : null;
  const rolledBack = records.slice(verdictIndex + 1).find((record) => record.stage === 'rolling_back');
  return { canaryFailedAtMs, restoredAtMs: (rolledBack && timeOf(rolledBack.at)) ?? outcomeAtMs };
}

function stageUpsert(event: HistoryEvent): unknown {
  const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[searchAttributes.stage.name];
  try {
    return decode(payload);
  } catch {
    return undefined;
  }
}

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
}

function eventMs(event: HistoryEvent): number {
  return Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor(Number(event.eventTime?.nanos ?? 0) / 1e6);
}

function timeOf(isoTime: string): number | null {
  const ms = Date.parse(isoTime);
  return Number.isNaN(ms) ? null : ms;
}

function lastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index];
    if (item !== undefined && predicate(item)) return index;
  }
  return -1;
}
