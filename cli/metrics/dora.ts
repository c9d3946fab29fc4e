/**
 * DORA metrics from run summaries: a pure function of its inputs (no clock, no Temporal), so every
 * figure can be checked by hand. Durations come out in seconds; a rate with nothing to divide by is null.
 */
import { gateNames, outcomes, type Gate, type Outcome } from '../../workflows/messages.js';

/** What one closed run contributes, read from its history (see summarize.ts). Times are epoch ms. */
export interface RunSummary {
  workflowId: string;
  outcome: Outcome;
  startedAtMs: number;
  closedAtMs: number;
  /** When the outcome was decided (the `done` decision), else the close time. */
  outcomeAtMs: number;
  /** Rolled-back runs: when the canary was judged failing; null when the history does not say. */
  canaryFailedAtMs: number | null;
  /** Rolled-back runs: when the rollback was done; null for other outcomes. */
  restoredAtMs: number | null;
  gates: Gate[];
  approvedBy: string | null;
}

export interface SkippedRun {
  workflowId: string;
  runId: string;
  reason: string;
}

export interface MetricsWindow {
  /** As the user wrote it, e.g. `30d`. */
  since: string;
  startMs: number;
  endMs: number;
}

export interface Distribution {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export type Bucket = 'hour' | 'day' | 'week';

export interface SeriesPoint {
  start: string;
  deployed: number;
  rolledBack: number;
  medianLeadTimeSeconds: number | null;
}

export interface DoraReport {
  window: { since: string; start: string; end: string; seconds: number };
  runs: { closed: number; open: number; skipped: number };
  outcomes: Record<Outcome, number>;
  leadTime: Distribution;
  deploymentFrequency: { deployed: number; perDay: number; perWeek: number };
  changeFailureRate: { rolledBack: number; deployed: number; rate: number | null };
  timeToRestore: Distribution & { unmeasured: number };
  escalation: {
    runs: number;
    humanApprovalRequired: { count: number; rate: number | null };
    approvedByHuman: number;
    byGate: Record<Gate, { count: number; rate: number | null }>;
  };
  series: { bucket: Bucket; points: SeriesPoint[] };
  skipped: SkippedRun[];
  definitions: typeof DEFINITIONS;
}

/** The definitions, word for word in `--help`, the JSON, the Markdown report and docs/metrics.md. */
export const DEFINITIONS = {
  window: 'prToProduction runs whose workflow closed within the window (start ≤ close time ≤ end); open runs are counted apart',
  percentiles: 'median and p90 are nearest-rank: the value at rank ⌈p·n⌉ of the n sorted values (for an even n the median is the lower middle value)',
  leadTime: 'deployed runs: from the workflow start to the deployed decision (the `done` record; the close time if it is missing)',
  deploymentFrequency: 'deployed runs divided by the window length, per day and per week',
  changeFailureRate: 'rolled_back / (deployed + rolled_back); null (n/a) when no run reached production',
  timeToRestore: 'rolled-back runs: from the canary being judged failing (the last failing canary verdict record, else entering rolling_back) to the rollback done (the first rolling_back record after it, sealed once the rollback returned; else the `done` record)',
  escalation: 'share of closed runs (every outcome) in which each gate fired, and in which any gate fired (a human had to approve)',
} as const;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const HOUR_MS = 3_600_000;
/** The finest bucket giving at most this many points: a sparkline stays one readable line. */
const MAX_POINTS = 92;

export function computeDora(
  allRuns: RunSummary[], window: MetricsWindow, extra: { open: number; skipped: SkippedRun[] },
): DoraReport {
  const runs = allRuns.filter((run) => run.closedAtMs >= window.startMs && run.closedAtMs <= window.endMs);
  const deployed = runs.filter((run) => run.outcome === 'deployed');
  const rolledBack = runs.filter((run) => run.outcome === 'rolled_back');
  const windowMs = window.endMs - window.startMs;

  const restoreTimes = rolledBack.flatMap((run) => (run.canaryFailedAtMs === null || run.restoredAtMs === null ? [] : [run.restoredAtMs - run.canaryFailedAtMs]));
  const escalated = runs.filter((run) => run.gates.length > 0);
  const byGate = Object.fromEntries(gateNames.map((gate) => {
    const count = runs.filter((run) => run.gates.includes(gate)).length;
    return [gate, { count, rate: ratio(count, runs.length) }];
  })) as DoraReport['escalation']['byGate'];

  return {
    window: { since: window.since, start: iso(window.startMs), end: iso(window.endMs), seconds: windowMs / 1000 },
    runs: { closed: runs.length, open: extra.open, skipped: extra.skipped.length },
    outcomes: Object.fromEntries(outcomes.map((outcome) => [outcome, runs.filter((run) => run.outcome === outcome).length])) as Record<Outcome, number>,
    leadTime: distribution(deployed.map(leadTimeMs)),
    deploymentFrequency: {
      deployed: deployed.length,
      perDay: windowMs > 0 ? round(deployed.length / (windowMs / DAY_MS), 4) : 0,
      perWeek: windowMs > 0 ? round(deployed.length / (windowMs / WEEK_MS), 4) : 0,
    },
    changeFailureRate: { rolledBack: rolledBack.length, deployed: deployed.length, rate: ratio(rolledBack.length, deployed.length + rolledBack.length) },
    timeToRestore: { ...distribution(restoreTimes), unmeasured: rolledBack.length - restoreTimes.length },
    escalation: {
      runs: runs.length,
      humanApprovalRequired: { count: escalated.length, rate: ratio(escalated.length, runs.length) },
      approvedByHuman: runs.filter((run) => run.approvedBy !== null).length,
      byGate,
    },
    series: series(runs, window),
    skipped: extra.skipped,
    definitions: DEFINITIONS,
  };
}

/** Start to deployed; a deployed decision stamped before the start (clock skew) falls back to the close time. */
function leadTimeMs(run: RunSummary): number {
  return (run.outcomeAtMs >= run.startedAtMs ? run.outcomeAtMs : run.closedAtMs) - run.startedAtMs;
}

/** Nearest-rank percentile of sorted values; `percent` is a whole number so the rank is exact. */
export function nearestRank(sorted: number[], percent: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent * sorted.length) / 100));
  return sorted[rank - 1] ?? null;
}

function distribution(durationsMs: number[]): Distribution {
  const sorted = durationsMs.map((ms) => Math.max(0, ms)).sort((a, b) => a - b);
  const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 3));
  return { count: sorted.length, medianSeconds: seconds(nearestRank(sorted, 50)), p90Seconds: seconds(nearestRank(sorted, 90)) };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole, 4);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The bucket for a window: hours up to 3 days, days up to 92 days, weeks beyond. */
export function bucketFor(windowMs: number): Bucket {
  if (windowMs <= 72 * HOUR_MS) return 'hour';
  return windowMs <= MAX_POINTS * DAY_MS ? 'day' : 'week';
}

/** Bucket starts in UTC: whole hours, midnights, Mondays (1970-01-05 was a Monday). */
function bucketStart(ms: number, bucket: Bucket): number {
  if (bucket === 'hour') return Math.floor(ms / HOUR_MS) * HOUR_MS;
  if (bucket === 'day') return Math.floor(ms / DAY_MS) * DAY_MS;
  const monday = 4 * DAY_MS;
  return Math.floor((ms - monday) / WEEK_MS) * WEEK_MS + monday;
}

const BUCKET_MS: Record<Bucket, number> = { hour: HOUR_MS, day: DAY_MS, week: WEEK_MS };

function series(runs: RunSummary[], window: MetricsWindow): DoraReport['series'] {
  const bucket = bucketFor(window.endMs - window.startMs);
  const size = BUCKET_MS[bucket];
  const first = bucketStart(window.startMs, bucket);
  const count = Math.max(1, Math.floor((bucketStart(window.endMs, bucket) - first) / size) + 1);
  const slots = Array.from({ length: count }, () => ({ deployed: [] as RunSummary[], rolledBack: 0 }));
  // A run lands where its outcome was decided; one decided just before the window's first bucket goes in it.
  const slotOf = (run: RunSummary) => slots[Math.min(count - 1, Math.max(0, Math.floor((run.outcomeAtMs - first) / size)))];
  for (const run of runs) {
    const slot = slotOf(run);
    if (!slot) continue;
    if (run.outcome === 'deployed') slot.deployed.push(run);
    if (run.outcome === 'rolled_back') slot.rolledBack += 1;
  }
  return {
    bucket,
    points: slots.map((slot, index) => ({
      start: iso(first + index * size),
      deployed: slot.deployed.length,
      rolledBack: slot.rolledBack,
      medianLeadTimeSeconds: distribution(slot.deployed.map(leadTimeMs)).medianSeconds,
    })),
  };
}
