/** How the metrics read to a person: durations, rates and small charts. Shared by the text and Markdown reports. */
import type { Bucket, DoraReport } from './dora.js';

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3_600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  if (whole < 86_400) return `${Math.floor(whole / 3_600)}h ${String(Math.floor((whole % 3_600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(whole / 86_400)}d ${Math.floor((whole % 86_400) / 3_600)}h`;
}

export function formatRate(rate: number | null): string {
  if (rate === null) return 'n/a';
  return `${Math.round(rate * 1000) / 10}%`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export function formatWindowTime(isoTime: string): string {
  return `${isoTime.slice(0, 16).replace('T', ' ')}Z`;
}

const LEVELS = '▁▂▃▄▅▆▇█';
const NOTHING = '·';

/** One character per value: `·` for none (zero or no data), then ▁ to █ scaled to the largest value. */
export function sparkline(values: (number | null)[]): string {
  const max = Math.max(0, ...values.map((value) => value ?? 0));
  return values.map((value) => {
    if (value === null || value <= 0 || max === 0) return NOTHING;
    const level = Math.min(LEVELS.length, Math.max(1, Math.ceil((value / max) * LEVELS.length)));
    return LEVELS[level - 1];
  }).join('');
}

/** A horizontal bar for a share: `width` cells, filled in proportion. */
export function bar(rate: number | null, width = 20): string {
  const filled = rate === null ? 0 : Math.round(rate * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function perBucket(bucket: Bucket): string {
  return { hour: 'per hour', day: 'per day', week: 'per week' }[bucket];
}

/** The first and last bucket labels, at the resolution of the bucket. */
export function seriesSpan(report: DoraReport): string {
  const points = report.series.points;
  const label = (isoTime: string) => (report.series.bucket === 'hour' ? formatWindowTime(isoTime) : isoTime.slice(0, 10));
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return '';
  return first === last ? label(first.start) : `${label(first.start)} … ${label(last.start)}`;
}

/** The gates that fired at least once, most frequent first. */
export function firedGates(report: DoraReport): { gate: string; count: number; rate: number | null }[] {
  return Object.entries(report.escalation.byGate)
    .filter(([, value]) => value.count > 0)
    .map(([gate, value]) => ({ gate, ...value }))
    .sort((a, b) => b.count - a.count || a.gate.localeCompare(b.gate));
}
