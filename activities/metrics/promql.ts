/**
 * The pure parts of the Prometheus source: filling query templates, and turning Prometheus's
 * cumulative histogram buckets into the per-bin latency distribution the canary judge reads.
 */
import type { LatencyBin } from '../../workflows/policy/traffic.js';

export interface QueryVariables {
  service: string;
  version: string;
  /** a PromQL duration, e.g. `37s` (see promqlWindow) */
  window: string;
  deployment: string;
}

/** Escapes a value for use inside a PromQL double-quoted string (label matchers). */
export function escapePromqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Fills `$service`, `$version`, `$window` and `$deployment` in a template. `$window` goes in as is (it
 * is a duration, not a string); the others are escaped for a double-quoted string. Unknown placeholders
 * are rejected when the config is parsed, so they never reach here.
 */
export function renderQuery(template: string, variables: QueryVariables): string {
  return template.replace(/\$(service|version|window|deployment)\b/g, (_match, name: keyof QueryVariables) =>
    name === 'window' ? variables.window : escapePromqlString(variables[name]),
  );
}

/** The window [since, until] as a PromQL range, in whole seconds (at least 1s): 37_200 ms → `37s`. */
export function promqlWindow(sinceEpochMs: number, untilEpochMs: number): string {
  return `${Math.max(1, Math.round((untilEpochMs - sinceEpochMs) / 1000))}s`;
}

/** A bucket of a cumulative histogram: requests that took at most `le` (Infinity for `+Inf`). */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/** Parses a Prometheus float as written in the API (`"1.5"`, `"+Inf"`, `"-Inf"`, `"NaN"`). */
export function parsePromFloat(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return text.trim() === '' ? NaN : Number(text);
  }
}

/**
 * Sorted by `le`, series with the same bound summed, and counts made non-decreasing: the increase()
 * of each bucket is extrapolated on its own, so neighbours can come out a hair out of order.
 */
export function normalizeBuckets(buckets: readonly CumulativeBucket[]): CumulativeBucket[] {
  const byBound = new Map<number, number>();
  for (const { le, count } of buckets) byBound.set(le, (byBound.get(le) ?? 0) + count);
  let highest = 0;
  return [...byBound]
    .sort(([a], [b]) => a - b)
    .map(([le, count]) => {
      highest = Math.max(highest, count);
      return { le, count: highest };
    });
}

/**
 * Per-bin counts from cumulative buckets, each bin at its upper bound in ms. The `+Inf` bucket becomes
 * a bin at twice the highest finite bound: "slower than the last bucket", which a judge comparing
 * distributions must see as slower than everything else without inventing a number for it.
 * Counts are rounded to whole requests (increase() extrapolates to the window's edges), by rounding
 * the cumulative counts first so the bins add up to the rounded total; empty bins are left out.
 */
export function bucketsToBins(buckets: readonly CumulativeBucket[], unitMs: number): LatencyBin[] {
  const sorted = normalizeBuckets(buckets);
  const finite = sorted.filter((bucket) => Number.isFinite(bucket.le));
  const highestFinite = finite.at(-1)?.le;
  if (highestFinite === undefined && sorted.some((bucket) => bucket.count > 0)) {
    throw new Error('the latency histogram has requests but no finite bucket (only le="+Inf"), so their latency is unknown');
  }
  const bins: LatencyBin[] = [];
  let previous = 0;
  for (const bucket of sorted) {
    const cumulative = Math.round(bucket.count);
    const count = cumulative - previous;
    previous = cumulative;
    if (count <= 0) continue;
    const bound = Number.isFinite(bucket.le) ? bucket.le : 2 * (highestFinite ?? 0);
    bins.push({ ms: Math.max(0, bound) * unitMs, count });
  }
  return bins;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus's histogram_quantile() computes it: linear
 * interpolation inside the bucket holding the rank (from 0 for the first bucket), and the highest
 * finite bound when the rank falls in the `+Inf` bucket. 0 for an empty histogram. In the buckets' unit.
 */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number {
  const sorted = normalizeBuckets(buckets);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return 0;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [index, bucket] of sorted.entries()) {
    if (bucket.count >= rank && bucket.count > lowerCount) {
      if (!Number.isFinite(bucket.le)) return index === 0 ? 0 : lowerBound;
      const start = index === 0 && bucket.le <= 0 ? bucket.le : lowerBound;
      return start + (bucket.le - start) * ((rank - lowerCount) / (bucket.count - lowerCount));
    }
    if (Number.isFinite(bucket.le)) lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/**
 * Makes the bins' counts add up to at most `requests`: the request counter and the histogram are
 * extrapolated separately, so after rounding the histogram can hold a request or two more. The excess
 * is taken from the fullest bins, where it changes the distribution least.
 */
export function capBinsAt(bins: readonly LatencyBin[], requests: number): LatencyBin[] {
  const capped = bins.map((bin) => ({ ...bin }));
  let excess = capped.reduce((sum, bin) => sum + bin.count, 0) - Math.max(0, requests);
  while (excess > 0) {
    const fullest = capped.reduce((most, bin) => (bin.count > most.count ? bin : most));
    fullest.count -= 1;
    excess -= 1;
  }
  return capped.filter((bin) => bin.count > 0);
}
