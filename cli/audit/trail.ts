import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { decisionRecordSchema, GENESIS_HASH, sealedDecisionSchema, type DecisionRecord } from '../../workflows/records.js';
import { hashRecord } from '../../activities/audit/hash.js';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

/** Local activity results are recorded by the SDK core as markers with this name. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
const RECORD_ACTIVITY = 'recordDecision';
/** Seals several decisions at once: its result is an array of sealed records. */
const RECORD_MANY_ACTIVITY = 'recordDecisions';

export interface SignalEntry {
  eventId: number;
  at: string;
  name: string;
  input: unknown;
  identity: string;
}

export interface AuditTrail {
  records: DecisionRecord[];
  signals: SignalEntry[];
  chain: { ok: boolean; problems: string[]; lastHash: string };
}

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
}

function eventTime(event: temporal.api.history.v1.IHistoryEvent): string {
  const seconds = Number(event.eventTime?.seconds ?? 0);
  const nanos = Number(event.eventTime?.nanos ?? 0);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

/** Rebuilds the decision records and signals from a workflow history and verifies the hash chain. */
export function auditFromHistory(history: History): AuditTrail {
  const records: DecisionRecord[] = [];
  const claimed: string[] = [];
  const signals: SignalEntry[] = [];
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const data = decode(marker.details?.data?.payloads?.[0]) as { activity_type?: string } | undefined;
      const result = marker.details?.result?.payloads?.[0];
      if (!result || (data?.activity_type !== RECORD_ACTIVITY && data?.activity_type !== RECORD_MANY_ACTIVITY)) continue;
      const decoded = decode(result);
      const sealedList = data.activity_type === RECORD_MANY_ACTIVITY ? sealedDecisionSchema.array().parse(decoded) : [sealedDecisionSchema.parse(decoded)];
      for (const sealed of sealedList) {
        records.push(decisionRecordSchema.parse(sealed.record));
        claimed.push(sealed.hash);
      }
    }
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal) {
      signals.push({
        eventId: Number(event.eventId),
        at: eventTime(event),
        name: signal.signalName ?? '',
        input: decode(signal.input?.payloads?.[0]),
        identity: signal.identity ?? '',
      });
    }
  }
  return { records, signals, chain: verifyChain(records, claimed) };
}

export function verifyChain(records: DecisionRecord[], claimedHashes: string[]): AuditTrail['chain'] {
  const problems: string[] = [];
  let previous = GENESIS_HASH;
  records.forEach((record, index) => {
    if (record.seq !== index + 1) problems.push(`record ${index + 1} has sequence number ${record.seq}`);
    if (record.prevHash !== previous) problems.push(`record ${record.seq}: prevHash ${record.prevHash.slice(0, 12)}… does not match the previous record's hash ${previous.slice(0, 12)}…`);
    const actual = hashRecord(record);
    if (claimedHashes[index] !== undefined && claimedHashes[index] !== actual) {
      problems.push(`record ${record.seq}: content hashes to ${actual.slice(0, 12)}…, but ${claimedHashes[index]!.slice(0, 12)}… was sealed`);
    }
    previous = actual;
  });
  return { ok: problems.length === 0, problems, lastHash: previous };
}

/** The arguments the run was started with (the first event of every history). */
export function workflowInput(history: History): unknown {
  return decode(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
}
