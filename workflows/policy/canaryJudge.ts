/**
 * The statistical canary judge: decides from the canary's and stable's traffic, collected over the same
 * interval, whether the canary is harmful (`fail`), not yet judgeable (`inconclusive`) or fine (`pass`).
 * The seed's rule (canaryJudgeV1.ts, kept for replay) compared a handful of requests with fixed limits,
 * so one unlucky error in 50 requests rolled back a healthy release and, at the same time, it could not
 * tell a canary that is 3× slower than stable as long as it stayed under 800 ms. This judge asks of each
 * signal "is there evidence?", not "is the number over the line?".
 *
 * Five checks, all reported with the numbers an auditor needs to re-derive them:
 * - `traffic`: each version needs `minRequests` requests; fewer makes the verdict inconclusive (the
 *   workflow fails closed after `judge.maxInconclusiveSeconds`). Stable is only needed for comparisons.
 * - `error_rate_limit` and `p99_limit`, the seed's hard limits. In `interval` mode (looked at every
 *   interval, so dozens of looks per step) they fail only on evidence: a one-sided exact binomial test
 *   that the canary's true error rate exceeds `maxErrorRate` (resp. that more than 1% of its requests,
 *   the definition of p99, are slower than `maxP99Ms`) with p < alpha. In `final` mode, at the end of a
 *   step, the seed's point-estimate rule also applies: the judge never passes at the end what the seed
 *   would have rolled back.
 * - `error_rate_vs_stable`: Fisher's exact test, one-sided (canary worse). Exact rather than a z-test
 *   because canary error counts are small (often 0 to 5), where the normal approximation is wrong.
 * - `latency_vs_stable`: Mann-Whitney U, one-sided (canary slower), as Kayenta does: rank-based, so a
 *   few huge outliers do not dominate and histogram buckets (ties) are handled by midranks. Its normal
 *   approximation is poor only when nearly every observation ties (all traffic in one bucket) and the
 *   difference is a handful of requests: it then overstates significance, and the effect-size guards
 *   below decide. Fewer than MIN_LATENCY_OBSERVATIONS timed requests per side is inconclusive.
 * Both comparisons also require an effect size (`minErrorRateIncrease`; `maxLatencyIncreasePercent`
 * and `latencyFloorMs` on the mean latency): with thousands of requests a difference can be
 * significant and still irrelevant. Because canary and stable share the interval, load and time-of-day
 * effects hit both alike; comparing them is what catches regressions that stay under the hard limits.
 *
 * alpha is per test and per look. Under the null hypothesis each test falsely fails with probability
 * at most alpha per look; the effect-size guards make false alarms on healthy canaries far rarer still.
 * Sides with too little data never fail a comparison: small samples are `inconclusive`, not `pass`.
 */
import { z } from 'zod';
import type { CanaryConfig } from '../../config/schema.js';
import type { LatencyBin, VersionTraffic } from './traffic.js';
import { binomialUpperTail, fisherExactGreater, mannWhitneyGreater } from './statistics.js';

export const canaryVerdictSchema = z.enum(['pass', 'fail', 'inconclusive']);
export type CanaryVerdict = z.infer<typeof canaryVerdictSchema>;

/** `interval`: an early-abort look during a step (evidence only). `final`: the end of a step (plus the seed's limits). */
export const judgeModeSchema = z.enum(['interval', 'final']);
export type JudgeMode = z.infer<typeof judgeModeSchema>;

export const judgeCheckNameSchema = z.enum(['traffic', 'error_rate_limit', 'p99_limit', 'error_rate_vs_stable', 'latency_vs_stable']);
export type JudgeCheckName = z.infer<typeof judgeCheckNameSchema>;

export const judgeCheckSchema = z.object({
  name: judgeCheckNameSchema,
  result: canaryVerdictSchema,
  detail: z.string(),
  /** Every input and intermediate the decision rests on (all finite: they go into workflow history as JSON). */
  numbers: z.record(z.string(), z.number()),
});
export type JudgeCheck = z.infer<typeof judgeCheckSchema>;

export const canaryJudgementSchema = z.object({
  verdict: canaryVerdictSchema,
  mode: judgeModeSchema,
  /** fail: one line per failed check; inconclusive: what traffic is missing; pass: one summary line. */
  reasons: z.array(z.string()),
  checks: z.array(judgeCheckSchema),
});
export type CanaryJudgement = z.infer<typeof canaryJudgementSchema>;

export type CanaryLimits = Pick<CanaryConfig, 'maxErrorRate' | 'maxP99Ms' | 'minRequests' | 'judge'>;

/** p99 ≤ limit means at most 1% of requests are slower than the limit. */
const P99_TAIL_FRACTION = 0.01;
/** Fewer latency observations than this per side and Mann-Whitney's normal approximation is not trusted. */
export const MIN_LATENCY_OBSERVATIONS = 10;

interface Evaluated {
  check: JudgeCheck;
  /** What traffic is missing, when the check is inconclusive (the verdict's reasons, deduplicated). */
  shortfalls: string[];
}

/**
 * `withStable: false` is for a step that sends all traffic to the canary (100%): there is no stable
 * traffic to compare with, so only the hard limits judge it.
 */
export function judgeCanary(
  traffic: { canary: VersionTraffic; stable: VersionTraffic }, limits: CanaryLimits, mode: JudgeMode, { withStable = true } = {},
): CanaryJudgement {
  const { canary, stable } = traffic;
  const evaluated = [
    withStable ? trafficCheck(canary, stable, limits) : canaryTrafficCheck(canary, limits),
    errorRateLimitCheck(canary, limits, mode),
    p99LimitCheck(canary, limits, mode),
    withStable ? errorRateVsStableCheck(canary, stable, limits) : noStable('error_rate_vs_stable'),
    withStable ? latencyVsStableCheck(canary, stable, limits) : noStable('latency_vs_stable'),
  ];
  const checks = evaluated.map((entry) => entry.check);
  const failed = checks.filter((check) => check.result === 'fail');
  if (failed.length > 0) return { verdict: 'fail', mode, reasons: failed.map((check) => check.detail), checks };
  const shortfalls = [...new Set(evaluated.flatMap((entry) => entry.shortfalls))];
  if (shortfalls.length > 0) return { verdict: 'inconclusive', mode, reasons: shortfalls, checks };
  return { verdict: 'pass', mode, reasons: [passSummary(canary, stable, limits)], checks };
}

function trafficCheck(canary: VersionTraffic, stable: VersionTraffic, limits: CanaryLimits): Evaluated {
  const shortfalls = requestShortfalls(canary, stable, limits.minRequests);
  const numbers = { canaryRequests: canary.requests, stableRequests: stable.requests, minRequests: limits.minRequests };
  if (shortfalls.length > 0) return inconclusive('traffic', shortfalls, numbers);
  return passed('traffic', `${canary.requests} canary and ${stable.requests} stable requests (need ${limits.minRequests} each)`, numbers);
}

function canaryTrafficCheck(canary: VersionTraffic, limits: CanaryLimits): Evaluated {
  const numbers = { canaryRequests: canary.requests, minRequests: limits.minRequests };
  if (canary.requests < limits.minRequests) return inconclusive('traffic', [canaryShortfall(canary, limits.minRequests)], numbers);
  return passed('traffic', `${canary.requests} canary requests (need ${limits.minRequests}; all traffic is on the canary)`, numbers);
}

function noStable(name: 'error_rate_vs_stable' | 'latency_vs_stable'): Evaluated {
  return passed(name, 'not compared: the canary takes all traffic in this step, so the hard limits alone judge it', {});
}

function errorRateLimitCheck(canary: VersionTraffic, limits: CanaryLimits, mode: JudgeMode): Evaluated {
  const { alpha } = limits.judge;
  const rate = errorRate(canary);
  const pValue = binomialUpperTail(canary.errors, canary.requests, limits.maxErrorRate);
  const numbers = {
    requests: canary.requests, errors: canary.errors, errorRate: rate, maxErrorRate: limits.maxErrorRate,
    binomialPValue: pValue, alpha, minRequests: limits.minRequests,
  };
  const observed = `canary error rate ${percent(rate)} (${canary.errors}/${canary.requests})`;
  const test = `binomial p=${formatP(pValue)}`;
  if (pValue < alpha && rate > limits.maxErrorRate) {
    return failed('error_rate_limit', `${observed} > limit ${percent(limits.maxErrorRate)} (${test} < ${alpha})`, numbers);
  }
  const enoughTraffic = canary.requests >= limits.minRequests;
  if (mode === 'final' && enoughTraffic && rate > limits.maxErrorRate) {
    return failed('error_rate_limit', `${observed} > limit ${percent(limits.maxErrorRate)} at the end of the step (${test}; the seed's limit applies to the observed rate)`, numbers);
  }
  if (!enoughTraffic) return inconclusive('error_rate_limit', [canaryShortfall(canary, limits.minRequests)], numbers);
  if (rate > limits.maxErrorRate) {
    return passed('error_rate_limit', `${observed} is over the limit ${percent(limits.maxErrorRate)} but not significantly (${test} ≥ ${alpha}); the end-of-step judgement applies the limit itself`, numbers);
  }
  return passed('error_rate_limit', `${observed} within the limit ${percent(limits.maxErrorRate)} (${test})`, numbers);
}

function p99LimitCheck(canary: VersionTraffic, limits: CanaryLimits, mode: JudgeMode): Evaluated {
  const { alpha } = limits.judge;
  const slow = slowRequests(canary, limits.maxP99Ms);
  const pValue = binomialUpperTail(slow.requests, canary.requests, P99_TAIL_FRACTION);
  const numbers = {
    requests: canary.requests, latencyObservations: slow.observations, slowObservations: slow.slowObservations,
    slowFraction: slow.fraction, slowRequests: slow.requests, p99Ms: canary.p99Ms, maxP99Ms: limits.maxP99Ms,
    tailFraction: P99_TAIL_FRACTION, binomialPValue: pValue, alpha, minRequests: limits.minRequests,
  };
  const observed = `canary p99 ${round(canary.p99Ms)} ms`;
  const test = `${slow.requests} of ${canary.requests} request(s) slower than ${limits.maxP99Ms} ms, ${percent(P99_TAIL_FRACTION)} allowed: binomial p=${formatP(pValue)}`;
  if (pValue < alpha && canary.p99Ms > limits.maxP99Ms) {
    return failed('p99_limit', `${observed} > limit ${limits.maxP99Ms} ms (${test} < ${alpha})`, numbers);
  }
  const enoughTraffic = canary.requests >= limits.minRequests;
  if (mode === 'final' && enoughTraffic && canary.p99Ms > limits.maxP99Ms) {
    return failed('p99_limit', `${observed} > limit ${limits.maxP99Ms} ms at the end of the step (${test}; the seed's limit applies to the observed p99)`, numbers);
  }
  if (!enoughTraffic) return inconclusive('p99_limit', [canaryShortfall(canary, limits.minRequests)], numbers);
  if (canary.p99Ms > limits.maxP99Ms) {
    return passed('p99_limit', `${observed} is over the limit ${limits.maxP99Ms} ms but not significantly (${test} ≥ ${alpha}); the end-of-step judgement applies the limit itself`, numbers);
  }
  return passed('p99_limit', `${observed} within the limit ${limits.maxP99Ms} ms (${test})`, numbers);
}

function errorRateVsStableCheck(canary: VersionTraffic, stable: VersionTraffic, limits: CanaryLimits): Evaluated {
  const { alpha, minErrorRateIncrease } = limits.judge;
  const canaryRate = errorRate(canary);
  const stableRate = errorRate(stable);
  const increase = canaryRate - stableRate;
  const pValue = fisherExactGreater({ failuresA: canary.errors, totalA: canary.requests, failuresB: stable.errors, totalB: stable.requests });
  const numbers = {
    canaryRequests: canary.requests, canaryErrors: canary.errors, canaryErrorRate: canaryRate,
    stableRequests: stable.requests, stableErrors: stable.errors, stableErrorRate: stableRate,
    errorRateIncrease: increase, minErrorRateIncrease, fisherPValue: pValue, alpha, minRequests: limits.minRequests,
  };
  const shortfalls = requestShortfalls(canary, stable, limits.minRequests);
  if (shortfalls.length > 0) return inconclusive('error_rate_vs_stable', shortfalls, numbers);
  const compared = `canary error rate ${percent(canaryRate)} (${canary.errors}/${canary.requests}) vs stable ${percent(stableRate)} (${stable.errors}/${stable.requests}): ${signedPoints(increase)}`;
  const test = `Fisher p=${formatP(pValue)}`;
  if (pValue < alpha && increase > minErrorRateIncrease) {
    return failed('error_rate_vs_stable', `${compared} > +${points(minErrorRateIncrease)} (${test} < ${alpha})`, numbers);
  }
  return passed('error_rate_vs_stable', `${compared}, not a regression (needs > +${points(minErrorRateIncrease)} and ${test} < ${alpha})`, numbers);
}

function latencyVsStableCheck(canary: VersionTraffic, stable: VersionTraffic, limits: CanaryLimits): Evaluated {
  const { alpha, maxLatencyIncreasePercent, latencyFloorMs } = limits.judge;
  const test = mannWhitneyGreater(asValues(canary.latency), asValues(stable.latency));
  const canaryMeanMs = weightedMean(canary.latency);
  const stableMeanMs = weightedMean(stable.latency);
  const increaseMs = canaryMeanMs - stableMeanMs;
  const numbers: Record<string, number> = {
    canaryObservations: test.sizeA, stableObservations: test.sizeB, canaryMeanMs, stableMeanMs, meanIncreaseMs: increaseMs,
    maxLatencyIncreasePercent, latencyFloorMs, mannWhitneyU: test.uA, meanU: test.meanU, sdU: test.sdU, z: test.z,
    mannWhitneyPValue: test.pGreater, alpha, minRequests: limits.minRequests, minLatencyObservations: MIN_LATENCY_OBSERVATIONS,
  };
  if (stableMeanMs > 0) numbers.meanIncreasePercent = (increaseMs / stableMeanMs) * 100;
  const requestsMissing = requestShortfalls(canary, stable, limits.minRequests);
  const shortfalls = requestsMissing.length > 0
    ? requestsMissing
    : [...latencyShortfall('canary', test.sizeA), ...latencyShortfall('stable', test.sizeB)];
  if (shortfalls.length > 0) return inconclusive('latency_vs_stable', shortfalls, numbers);
  // ratio − 1 > percent/100, written without dividing so a stable mean of 0 ms needs no special case.
  const largeEnough = increaseMs > (stableMeanMs * maxLatencyIncreasePercent) / 100 && increaseMs > latencyFloorMs;
  const relative = stableMeanMs > 0 ? `${signed(round((increaseMs / stableMeanMs) * 100))}%, ` : '';
  const compared = `canary mean latency ${round(canaryMeanMs)} ms vs stable ${round(stableMeanMs)} ms: ${relative}${signed(round(increaseMs))} ms`;
  const statistic = `Mann-Whitney U=${round(test.uA)}, z=${round(test.z, 2)}, p=${formatP(test.pGreater)}`;
  if (test.pGreater < alpha && largeEnough) {
    return failed('latency_vs_stable', `${compared} > +${maxLatencyIncreasePercent}% and > +${latencyFloorMs} ms (${statistic} < ${alpha})`, numbers);
  }
  return passed('latency_vs_stable', `${compared}, not a regression (needs > +${maxLatencyIncreasePercent}%, > +${latencyFloorMs} ms and ${statistic} < ${alpha})`, numbers);
}

/**
 * Canary requests slower than the limit, estimated from the latency bins and scaled to all requests.
 * A bin is slow when its value (a raw sample, or a histogram bucket's upper bound) exceeds the limit:
 * for a bucket straddling the limit this counts all its requests as slow, erring towards rollback;
 * the hard-limit test also requires the reported p99 to exceed the limit.
 */
function slowRequests(canary: VersionTraffic, maxP99Ms: number) {
  const observations = totalCount(canary.latency);
  const slowObservations = totalCount(canary.latency.filter((bin) => bin.ms > maxP99Ms));
  const fraction = observations > 0 ? slowObservations / observations : 0;
  return { observations, slowObservations, fraction, requests: Math.round(fraction * canary.requests) };
}

function requestShortfalls(canary: VersionTraffic, stable: VersionTraffic, minRequests: number): string[] {
  const shortfalls: string[] = [];
  if (canary.requests < minRequests) shortfalls.push(canaryShortfall(canary, minRequests));
  if (stable.requests < minRequests) shortfalls.push(`only ${stable.requests} stable request(s), need ${minRequests} to compare with stable`);
  return shortfalls;
}

function canaryShortfall(canary: VersionTraffic, minRequests: number): string {
  return `only ${canary.requests} canary request(s), need ${minRequests} to judge`;
}

function latencyShortfall(version: 'canary' | 'stable', observations: number): string[] {
  if (observations >= MIN_LATENCY_OBSERVATIONS) return [];
  return [`only ${round(observations)} ${version} latency observation(s), need ${MIN_LATENCY_OBSERVATIONS} to compare latency`];
}

function passSummary(canary: VersionTraffic, stable: VersionTraffic, limits: CanaryLimits): string {
  return `canary error rate ${percent(errorRate(canary))} (${canary.errors}/${canary.requests}) vs stable ${percent(errorRate(stable))} (${stable.errors}/${stable.requests}), `
    + `p99 ${round(canary.p99Ms)} ms (limit ${limits.maxP99Ms} ms), mean latency ${round(weightedMean(canary.latency))} ms vs ${round(weightedMean(stable.latency))} ms: `
    + 'within limits, no significant regression';
}

function passed(name: JudgeCheckName, detail: string, numbers: Record<string, number>): Evaluated {
  return { check: { name, result: 'pass', detail, numbers }, shortfalls: [] };
}

function failed(name: JudgeCheckName, detail: string, numbers: Record<string, number>): Evaluated {
  return { check: { name, result: 'fail', detail, numbers }, shortfalls: [] };
}

function inconclusive(name: JudgeCheckName, shortfalls: string[], numbers: Record<string, number>): Evaluated {
  return { check: { name, result: 'inconclusive', detail: shortfalls.join('; '), numbers }, shortfalls };
}

const errorRate = (traffic: VersionTraffic) => (traffic.requests > 0 ? traffic.errors / traffic.requests : 0);
const totalCount = (bins: readonly LatencyBin[]) => bins.reduce((sum, bin) => sum + bin.count, 0);
const asValues = (bins: readonly LatencyBin[]) => bins.map((bin) => ({ value: bin.ms, count: bin.count }));

function weightedMean(bins: readonly LatencyBin[]): number {
  const count = totalCount(bins);
  return count > 0 ? bins.reduce((sum, bin) => sum + bin.ms * bin.count, 0) / count : 0;
}

function round(value: number, decimals = 1): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

const percent = (rate: number) => `${round(rate * 100, 2)}%`;
const points = (rate: number) => `${round(rate * 100, 2)} points`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value}`;
const signedPoints = (rate: number) => `${signed(round(rate * 100, 2))} points`;

/** p-values as an auditor reads them: two significant digits, exponent form when small. */
function formatP(p: number): string {
  if (p === 0) return '<1e-300';
  return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}
