import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canaryConfigSchema } from '../../config/schema.js';
import {
  canaryJudgementSchema, judgeCanary,
  type CanaryJudgement, type CanaryLimits, type CanaryVerdict, type JudgeCheckName, type JudgeMode,
} from '../../workflows/policy/canaryJudge.js';
import type { LatencyBin, VersionTraffic } from '../../workflows/policy/traffic.js';

const limits: CanaryLimits = canaryConfigSchema.parse({});

/** Prometheus-style bucket upper bounds, in ms. */
const BUCKETS = [5, 10, 25, 50, 100, 250, 500, 800, 1000, 2500];

function quantile(bins: readonly LatencyBin[], q: number): number {
  const sorted = [...bins].sort((a, b) => a.ms - b.ms);
  const total = sorted.reduce((sum, bin) => sum + bin.count, 0);
  let seen = 0;
  for (const bin of sorted) {
    seen += bin.count;
    if (seen >= q * total) return bin.ms;
  }
  return 0;
}

/** One version's traffic; p50/p99 are derived from the bins as a metrics source would report them. */
function version(requests: number, errors: number, latency: LatencyBin[], p99Ms = quantile(latency, 0.99)): VersionTraffic {
  return { requests, errors, p50Ms: quantile(latency, 0.5), p99Ms, latency };
}

/** `count` requests all answering in `ms`. */
const flat = (requests: number, errors: number, ms: number) => version(requests, errors, requests > 0 ? [{ ms, count: requests }] : []);
const histogram = (counts: number[]): LatencyBin[] => BUCKETS.map((ms, i) => ({ ms, count: counts[i] ?? 0 })).filter((bin) => bin.count > 0);
const total = (counts: number[]) => counts.reduce((sum, count) => sum + count, 0);

/** mulberry32: a tiny seeded PRNG, so the "random" traffic is the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface HealthyShape { medianMs: number; spread: number; errorRate: number; spikeRate: number }

/** Raw samples of a healthy service: log-normal latencies (0.1 ms resolution) with rare spikes under the limit. */
function healthy(random: () => number, requests: number, shape: HealthyShape): VersionTraffic {
  const counts = new Map<number, number>();
  let errors = 0;
  for (let i = 0; i < requests; i++) {
    if (random() < shape.errorRate) errors++;
    const base = shape.medianMs * Math.exp(shape.spread * normal(random));
    const ms = Math.round(Math.min(random() < shape.spikeRate ? base * 5 : base, 700) * 10) / 10;
    counts.set(ms, (counts.get(ms) ?? 0) + 1);
  }
  return version(requests, errors, [...counts].map(([ms, count]) => ({ ms, count })));
}

/** The same traffic as a Prometheus histogram would report it: counts per bucket upper bound. */
function bucketed(traffic: VersionTraffic): VersionTraffic {
  const counts = BUCKETS.map(() => 0);
  for (const bin of traffic.latency) {
    const found = BUCKETS.findIndex((bound) => bin.ms <= bound);
    const index = found === -1 ? BUCKETS.length - 1 : found;
    counts[index] = (counts[index] ?? 0) + bin.count;
  }
  return version(traffic.requests, traffic.errors, histogram(counts));
}

const healthyShape: HealthyShape = { medianMs: 40, spread: 0.35, errorRate: 0.001, spikeRate: 0.003 };
const noisyCanary = healthy(mulberry32(1), 500, healthyShape);
const noisyStable = healthy(mulberry32(2), 9500, healthyShape);
/** 98 healthy requests and 2 at 900 ms: the reported p99 is 900 ms, on the evidence of 2 requests. */
const twoSlowCanary = ((traffic: VersionTraffic) => {
  const latency = [...traffic.latency, { ms: 900, count: 2 }];
  return version(traffic.requests + 2, traffic.errors, latency);
})(healthy(mulberry32(3), 98, { ...healthyShape, errorRate: 0 }));
const twoSlowStable = healthy(mulberry32(4), 1900, { ...healthyShape, errorRate: 0 });

function assertWellFormed(judgement: CanaryJudgement): void {
  assert.deepEqual(canaryJudgementSchema.parse(judgement), judgement);
  // Judgements go into workflow history as JSON, where NaN and Infinity would silently become null.
  assert.deepEqual(JSON.parse(JSON.stringify(judgement)), judgement);
  assert.deepEqual(judgement.checks.map((check) => check.name), ['traffic', 'error_rate_limit', 'p99_limit', 'error_rate_vs_stable', 'latency_vs_stable']);
}

interface Case {
  name: string;
  canary: VersionTraffic;
  stable: VersionTraffic;
  mode: JudgeMode;
  verdict: CanaryVerdict;
  checks?: Partial<Record<JudgeCheckName, CanaryVerdict>>;
  reasons: RegExp[];
  limits?: Partial<CanaryLimits>;
}

const table: Case[] = [
  {
    name: 'no traffic on either side', canary: flat(0, 0, 0), stable: flat(0, 0, 0), mode: 'interval', verdict: 'inconclusive',
    checks: { traffic: 'inconclusive', error_rate_limit: 'inconclusive', p99_limit: 'inconclusive', error_rate_vs_stable: 'inconclusive', latency_vs_stable: 'inconclusive' },
    reasons: [/^only 0 canary request\(s\), need 20 to judge$/, /^only 0 stable request\(s\), need 20 to compare with stable$/],
  },
  {
    name: 'no traffic on either side, at the end of the step', canary: flat(0, 0, 0), stable: flat(0, 0, 0), mode: 'final', verdict: 'inconclusive',
    reasons: [/only 0 canary request/, /only 0 stable request/],
  },
  {
    name: 'no canary traffic', canary: flat(0, 0, 0), stable: noisyStable, mode: 'interval', verdict: 'inconclusive',
    checks: { traffic: 'inconclusive', error_rate_vs_stable: 'inconclusive', latency_vs_stable: 'inconclusive' },
    reasons: [/^only 0 canary request\(s\), need 20 to judge$/],
  },
  {
    name: 'no stable traffic: hard limits still judged', canary: noisyCanary, stable: flat(0, 0, 0), mode: 'final', verdict: 'inconclusive',
    checks: { traffic: 'inconclusive', error_rate_limit: 'pass', p99_limit: 'pass', error_rate_vs_stable: 'inconclusive', latency_vs_stable: 'inconclusive' },
    reasons: [/^only 0 stable request\(s\), need 20 to compare with stable$/],
  },
  {
    name: 'no stable traffic does not hide a broken canary', canary: flat(200, 200, 5), stable: flat(0, 0, 0), mode: 'interval', verdict: 'fail',
    checks: { error_rate_limit: 'fail', error_rate_vs_stable: 'inconclusive' },
    reasons: [/^canary error rate 100% \(200\/200\) > limit 0\.5% \(binomial p=<1e-300 < 0\.001\)$/],
  },
  {
    name: 'every canary request failing', canary: flat(100, 100, 5), stable: flat(1900, 0, 5), mode: 'interval', verdict: 'fail',
    checks: { error_rate_limit: 'fail', p99_limit: 'pass', error_rate_vs_stable: 'fail', latency_vs_stable: 'pass' },
    reasons: [
      /^canary error rate 100% \(100\/100\) > limit 0\.5% \(binomial p=7\.9e-231 < 0\.001\)$/,
      /^canary error rate 100% \(100\/100\) vs stable 0% \(0\/1900\): \+100 points > \+0\.2 points \(Fisher p=9\.1e-172 < 0\.001\)$/,
    ],
  },
  {
    name: 'every request failing on a tiny canary (hard limit, comparisons not judged)', canary: flat(5, 5, 5), stable: flat(95, 0, 5), mode: 'interval', verdict: 'fail',
    checks: { traffic: 'inconclusive', error_rate_limit: 'fail', error_rate_vs_stable: 'inconclusive', latency_vs_stable: 'inconclusive' },
    reasons: [/^canary error rate 100% \(5\/5\) > limit 0\.5% \(binomial p=3\.1e-12 < 0\.001\)$/],
  },
  {
    name: 'identical traffic', canary: noisyStable, stable: noisyStable, mode: 'interval', verdict: 'pass',
    checks: { traffic: 'pass', error_rate_limit: 'pass', p99_limit: 'pass', error_rate_vs_stable: 'pass', latency_vs_stable: 'pass' },
    reasons: [/within limits, no significant regression/],
  },
  {
    name: 'identical traffic, at the end of the step', canary: noisyStable, stable: noisyStable, mode: 'final', verdict: 'pass',
    reasons: [/^canary error rate 0\.\d+% \(\d+\/9500\) vs stable .* p99 \d+(\.\d)? ms \(limit 800 ms\), mean latency [\d.]+ ms vs [\d.]+ ms: within limits, no significant regression$/],
  },
  {
    name: 'tiny canary sample that looks bad (never fails a comparison)', canary: version(8, 1, [{ ms: 300, count: 8 }]), stable: flat(150, 0, 20), mode: 'interval', verdict: 'inconclusive',
    checks: { error_rate_limit: 'inconclusive', p99_limit: 'inconclusive', error_rate_vs_stable: 'inconclusive', latency_vs_stable: 'inconclusive' },
    reasons: [/^only 8 canary request\(s\), need 20 to judge$/],
  },
  {
    name: 'too few latency observations to compare latency', canary: version(30, 0, [{ ms: 40, count: 5 }]), stable: flat(570, 0, 40), mode: 'interval', verdict: 'inconclusive',
    checks: { traffic: 'pass', error_rate_limit: 'pass', p99_limit: 'pass', error_rate_vs_stable: 'pass', latency_vs_stable: 'inconclusive' },
    reasons: [/^only 5 canary latency observation\(s\), need 10 to compare latency$/],
  },
  {
    // 5% errors at 5 req/s next to 95 req/s of clean stable: 10 s of traffic.
    name: '5% errors after 10 s (2 of 50): not yet evidence', canary: flat(50, 2, 30), stable: flat(950, 0, 30), mode: 'interval', verdict: 'pass',
    checks: { error_rate_limit: 'pass', error_rate_vs_stable: 'pass' },
    reasons: [/within limits/],
  },
  {
    name: '5% errors after 10 s (3 of 50): worse than stable', canary: flat(50, 3, 30), stable: flat(950, 0, 30), mode: 'interval', verdict: 'fail',
    checks: { error_rate_limit: 'pass', error_rate_vs_stable: 'fail' },
    reasons: [/^canary error rate 6% \(3\/50\) vs stable 0% \(0\/950\): \+6 points > \+0\.2 points \(Fisher p=1\.2e-4 < 0\.001\)$/],
  },
  {
    name: '5% errors after 20 s (5 of 100): fails both', canary: flat(100, 5, 30), stable: flat(1900, 0, 30), mode: 'interval', verdict: 'fail',
    checks: { error_rate_limit: 'fail', error_rate_vs_stable: 'fail' },
    reasons: [/^canary error rate 5% \(5\/100\) > limit 0\.5% \(binomial p=1\.6e-4 < 0\.001\)$/, /^canary error rate 5% \(5\/100\) vs stable 0% \(0\/1900\)/],
  },
  {
    name: 'a single error in 50 requests, looked at during the step', canary: flat(50, 1, 30), stable: flat(950, 0, 30), mode: 'interval', verdict: 'pass',
    checks: { error_rate_limit: 'pass', error_rate_vs_stable: 'pass' },
    reasons: [/within limits/],
  },
  {
    name: 'a single error in 50 requests at the end of the step (the seed floor)', canary: flat(50, 1, 30), stable: flat(950, 0, 30), mode: 'final', verdict: 'fail',
    checks: { error_rate_limit: 'fail', error_rate_vs_stable: 'pass' },
    reasons: [/^canary error rate 2% \(1\/50\) > limit 0\.5% at the end of the step \(binomial p=0\.22; the seed's limit applies to the observed rate\)$/],
  },
  {
    name: 'canary always 1500 ms vs stable 20 ms', canary: flat(50, 0, 1500), stable: flat(950, 0, 20), mode: 'interval', verdict: 'fail',
    checks: { error_rate_limit: 'pass', p99_limit: 'fail', error_rate_vs_stable: 'pass', latency_vs_stable: 'fail' },
    reasons: [
      /^canary p99 1500 ms > limit 800 ms \(50 of 50 request\(s\) slower than 800 ms, 1% allowed: binomial p=1\.0e-100 < 0\.001\)$/,
      /^canary mean latency 1500 ms vs stable 20 ms: \+7400%, \+1480 ms > \+20% and > \+10 ms \(Mann-Whitney U=47500, z=31\.6\d?, p=1\.5e-219 < 0\.001\)$/,
    ],
  },
  {
    name: 'p99 over the limit by 2 slow requests in 100: interval waits', canary: twoSlowCanary, stable: twoSlowStable, mode: 'interval', verdict: 'pass',
    checks: { p99_limit: 'pass', latency_vs_stable: 'pass' },
    reasons: [/within limits/],
  },
  {
    name: 'p99 over the limit by 2 slow requests in 100: the end of the step fails', canary: twoSlowCanary, stable: twoSlowStable, mode: 'final', verdict: 'fail',
    checks: { p99_limit: 'fail', latency_vs_stable: 'pass' },
    reasons: [/^canary p99 900 ms > limit 800 ms at the end of the step \(2 of 100 request\(s\) slower than 800 ms, 1% allowed: binomial p=0\.26; the seed's limit applies to the observed p99\)$/],
  },
  {
    name: 'healthy noisy latencies with rare spikes', canary: noisyCanary, stable: noisyStable, mode: 'interval', verdict: 'pass',
    checks: { traffic: 'pass', error_rate_limit: 'pass', p99_limit: 'pass', error_rate_vs_stable: 'pass', latency_vs_stable: 'pass' },
    reasons: [/within limits, no significant regression/],
  },
  {
    name: 'healthy noisy latencies with rare spikes, at the end of the step', canary: noisyCanary, stable: noisyStable, mode: 'final', verdict: 'pass',
    reasons: [/within limits, no significant regression/],
  },
  {
    name: 'a significant latency increase below the effect size (+4.8%, +2.4 ms)',
    canary: version(10_000, 0, [{ ms: 50, count: 3000 }, { ms: 52, count: 4000 }, { ms: 54, count: 3000 }]),
    stable: version(10_000, 0, [{ ms: 48, count: 4000 }, { ms: 50, count: 4000 }, { ms: 52, count: 2000 }]),
    mode: 'interval', verdict: 'pass',
    checks: { latency_vs_stable: 'pass' },
    reasons: [/within limits/],
  },
  {
    name: 'histogram buckets, same shape', canary: version(1000, 1, histogram([50, 350, 300, 200, 80, 15, 5])), stable: version(19_000, 20, histogram([950, 6650, 5700, 3800, 1520, 285, 95])),
    mode: 'interval', verdict: 'pass',
    checks: { traffic: 'pass', error_rate_limit: 'pass', p99_limit: 'pass', error_rate_vs_stable: 'pass', latency_vs_stable: 'pass' },
    reasons: [/within limits/],
  },
  {
    name: 'histogram buckets, canary a bucket slower but p99 under 800 ms (what the seed missed)',
    canary: version(1000, 0, histogram([0, 50, 350, 300, 200, 80, 20])), stable: version(19_000, 0, histogram([950, 6650, 5700, 3800, 1520, 285, 95])),
    mode: 'final', verdict: 'fail',
    checks: { p99_limit: 'pass', latency_vs_stable: 'fail' },
    reasons: [/^canary mean latency 74\.3 ms vs stable 35\.5 ms: \+109\.2%, \+38\.8 ms > \+20% and > \+10 ms \(Mann-Whitney U=[\d.]+, z=[\d.]+, p=[\d.e-]+ < 0\.001\)$/],
  },
  {
    name: 'histogram buckets, 3% of canary requests over 800 ms',
    canary: version(1000, 0, histogram([10, 60, 120, 200, 300, 200, 80, 0, 28, 2])), stable: version(19_000, 0, histogram([2850, 13_300, 1900, 760, 190])),
    mode: 'interval', verdict: 'fail',
    checks: { p99_limit: 'fail', latency_vs_stable: 'fail' },
    reasons: [/^canary p99 1000 ms > limit 800 ms \(30 of 1000 request\(s\) slower than 800 ms/, /^canary mean latency/],
  },
  {
    name: 'stable worse than canary (one-sided: pass)', canary: noisyCanary, stable: version(9500, 400, histogram([0, 0, 0, 500, 4000, 4000, 1000])),
    mode: 'final', verdict: 'pass',
    checks: { error_rate_vs_stable: 'pass', latency_vs_stable: 'pass' },
    reasons: [/within limits, no significant regression/],
  },
  {
    name: 'stable at 0 ms: the relative rule needs no division', canary: flat(100, 0, 50), stable: flat(1900, 0, 0), mode: 'interval', verdict: 'fail',
    checks: { latency_vs_stable: 'fail' },
    reasons: [/^canary mean latency 50 ms vs stable 0 ms: \+50 ms > \+20% and > \+10 ms/],
  },
  {
    name: 'limits come from the config', canary: flat(100, 5, 900), stable: flat(1900, 0, 900), mode: 'final', verdict: 'pass',
    limits: { maxErrorRate: 0.1, maxP99Ms: 1000, judge: { ...limits.judge, minErrorRateIncrease: 0.1 } },
    reasons: [/\(limit 1000 ms\)/],
  },
];

describe('judgeCanary', () => {
  it('uses the configured defaults', () => {
    assert.deepEqual(
      { maxErrorRate: limits.maxErrorRate, maxP99Ms: limits.maxP99Ms, minRequests: limits.minRequests, judge: limits.judge },
      { maxErrorRate: 0.005, maxP99Ms: 800, minRequests: 20, judge: { alpha: 0.001, minErrorRateIncrease: 0.002, maxLatencyIncreasePercent: 20, latencyFloorMs: 10, maxInconclusiveSeconds: 120 } },
    );
  });

  for (const testCase of table) {
    it(`${testCase.mode}: ${testCase.name} → ${testCase.verdict}`, () => {
      const judgement = judgeCanary({ canary: testCase.canary, stable: testCase.stable }, { ...limits, ...testCase.limits }, testCase.mode);
      const summary = judgement.reasons.join(' | ');
      assertWellFormed(judgement);
      assert.equal(judgement.verdict, testCase.verdict, summary);
      assert.equal(judgement.mode, testCase.mode);
      for (const [name, result] of Object.entries(testCase.checks ?? {})) {
        const check = judgement.checks.find((candidate) => candidate.name === name);
        assert.equal(check?.result, result, `${name}: ${check?.detail}`);
      }
      assert.equal(judgement.reasons.length, testCase.reasons.length, summary);
      testCase.reasons.forEach((reason, index) => assert.match(judgement.reasons[index] ?? '', reason));
    });
  }

  it('records the numbers an auditor needs to re-derive each decision', () => {
    const judgement = judgeCanary({ canary: flat(100, 5, 30), stable: flat(1900, 2, 30) }, limits, 'interval');
    const numbers = Object.fromEntries(judgement.checks.map((check) => [check.name, check.numbers]));
    assert.deepEqual(numbers.traffic, { canaryRequests: 100, stableRequests: 1900, minRequests: 20 });
    assert.equal(numbers.error_rate_limit?.errors, 5);
    assert.equal(numbers.error_rate_limit?.requests, 100);
    assert.equal(numbers.error_rate_limit?.errorRate, 0.05);
    assert.ok(Math.abs((numbers.error_rate_limit?.binomialPValue ?? 0) - 0.00015859923883408935) < 1e-12);
    assert.equal(numbers.error_rate_vs_stable?.stableErrors, 2);
    assert.ok(Math.abs((numbers.error_rate_vs_stable?.errorRateIncrease ?? 0) - (0.05 - 2 / 1900)) < 1e-15);
    assert.ok((numbers.error_rate_vs_stable?.fisherPValue ?? 1) < 0.001);
    for (const key of ['mannWhitneyU', 'meanU', 'sdU', 'z', 'mannWhitneyPValue', 'canaryMeanMs', 'stableMeanMs', 'meanIncreaseMs']) {
      assert.equal(typeof numbers.latency_vs_stable?.[key], 'number', key);
    }
    assert.equal(numbers.latency_vs_stable?.canaryObservations, 100);
    assert.equal(numbers.p99_limit?.slowRequests, 0);
  });

  it('shows a significant but small latency increase as significant', () => {
    const canary = version(10_000, 0, [{ ms: 50, count: 3000 }, { ms: 52, count: 4000 }, { ms: 54, count: 3000 }]);
    const stable = version(10_000, 0, [{ ms: 48, count: 4000 }, { ms: 50, count: 4000 }, { ms: 52, count: 2000 }]);
    const latency = judgeCanary({ canary, stable }, limits, 'interval').checks.find((check) => check.name === 'latency_vs_stable');
    assert.equal(latency?.result, 'pass');
    assert.ok((latency?.numbers.mannWhitneyPValue ?? 1) < 1e-100, latency?.detail);
    assert.ok(Math.abs((latency?.numbers.meanIncreasePercent ?? 0) - 4.838709677419355) < 1e-9);
  });

  it('counts a histogram bucket straddling the limit as slow (errs towards rollback)', () => {
    // Bucket (500, 800] holds requests on both sides of a 750 ms limit: all of them count as slow.
    const canary = version(1000, 0, histogram([0, 0, 500, 300, 130, 30, 10, 30]), 790);
    const judgement = judgeCanary({ canary, stable: canary }, { ...limits, maxP99Ms: 750 }, 'interval');
    const p99 = judgement.checks.find((check) => check.name === 'p99_limit');
    assert.equal(p99?.numbers.slowRequests, 30);
    assert.equal(p99?.result, 'fail', p99?.detail);
    // The same bins with a reported p99 under the limit: the count alone never fails the hard limit.
    const underLimit = judgeCanary({ canary: { ...canary, p99Ms: 700 }, stable: canary }, { ...limits, maxP99Ms: 750 }, 'interval');
    assert.equal(underLimit.checks.find((check) => check.name === 'p99_limit')?.result, 'pass');
  });

  it('scales the slow fraction of sampled latencies to all requests', () => {
    // 1000 requests, of which 100 were timed: 10 slow samples stand for 100 slow requests.
    const canary = version(1000, 0, [{ ms: 30, count: 90 }, { ms: 1200, count: 10 }], 1200);
    const p99 = judgeCanary({ canary, stable: flat(19_000, 0, 30) }, limits, 'interval').checks.find((check) => check.name === 'p99_limit');
    assert.equal(p99?.numbers.slowRequests, 100);
    assert.equal(p99?.numbers.slowFraction, 0.1);
    assert.equal(p99?.result, 'fail');
  });

  it('never fails 200 seeded healthy canaries looked at during the step', () => {
    const random = mulberry32(20_240_601);
    const verdicts: Record<CanaryVerdict, number> = { pass: 0, fail: 0, inconclusive: 0 };
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const shape: HealthyShape = {
        medianMs: 10 + random() * 110, spread: 0.2 + random() * 0.3, errorRate: random() * 0.003, spikeRate: random() * 0.005,
      };
      const canaryRequests = 20 + Math.floor(random() * 980);
      const stableRequests = canaryRequests * (4 + Math.floor(random() * 16));
      let canary = healthy(random, canaryRequests, shape);
      let stable = healthy(random, stableRequests, shape);
      if (i % 2 === 1) {
        canary = bucketed(canary);
        stable = bucketed(stable);
      }
      const judgement = judgeCanary({ canary, stable }, limits, 'interval');
      verdicts[judgement.verdict]++;
      if (judgement.verdict === 'fail') failures.push(`#${i}: ${judgement.reasons.join(' | ')}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(verdicts, { pass: 200, fail: 0, inconclusive: 0 });
  });
});

describe('judgeCanary at 100% (no stable traffic)', () => {
  const limits = canaryConfigSchema.parse({});
  const canary = (requests: number, errors: number, ms: number) => ({
    requests, errors, p50Ms: ms, p99Ms: ms, latency: [{ ms, count: requests }],
  });
  const none = { requests: 0, errors: 0, p50Ms: 0, p99Ms: 0, latency: [] };

  it('passes a healthy canary on the hard limits alone', () => {
    const judgement = judgeCanary({ canary: canary(500, 0, 20), stable: none }, limits, 'final', { withStable: false });
    assert.equal(judgement.verdict, 'pass', judgement.reasons.join('; '));
    assert.match(judgement.checks.find((check) => check.name === 'latency_vs_stable')?.detail ?? '', /not compared/);
  });

  it('still fails it on the hard limits', () => {
    const judgement = judgeCanary({ canary: canary(500, 40, 20), stable: none }, limits, 'interval', { withStable: false });
    assert.equal(judgement.verdict, 'fail');
    assert.deepEqual(judgement.checks.filter((check) => check.result === 'fail').map((check) => check.name), ['error_rate_limit']);
  });

  it('is inconclusive with too little canary traffic', () => {
    assert.equal(judgeCanary({ canary: canary(5, 0, 20), stable: none }, limits, 'interval', { withStable: false }).verdict, 'inconclusive');
  });

  it('without the option, the same traffic is inconclusive: nothing to compare with', () => {
    assert.equal(judgeCanary({ canary: canary(500, 0, 20), stable: none }, limits, 'final').verdict, 'inconclusive');
  });
});
