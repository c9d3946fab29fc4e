import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrafficSummary } from '../../activities/staging/schema.js';
import { canaryConfigSchema } from '../../config/schema.js';
import { judgeCanary, type CanaryVerdict } from '../../workflows/policy/canaryJudgeV1.js';

const limits = canaryConfigSchema.parse({});
const traffic = (requests: number, errors: number, p99Ms: number): TrafficSummary => ({
  requests, errors, errorRate: requests === 0 ? 0 : errors / requests, p50Ms: Math.min(p99Ms, 20), p99Ms,
});

describe('judgeCanary', () => {
  it('uses the seed defaults', () => {
    assert.equal(limits.maxErrorRate, 0.005);
    assert.equal(limits.maxP99Ms, 800);
    assert.equal(limits.minRequests, 20);
  });

  const table: [string, TrafficSummary, CanaryVerdict, RegExp[]][] = [
    ['no traffic', traffic(0, 0, 0), 'inconclusive', [/only 0 canary request\(s\), need 20/]],
    ['clean traffic below minRequests', traffic(19, 0, 100), 'inconclusive', [/only 19 canary request\(s\), need 20/]],
    ['clean traffic at minRequests', traffic(20, 0, 100), 'pass', [/within limits/]],
    ['error rate exactly at the limit (5/1000)', traffic(1000, 5, 100), 'pass', [/0\.5% over 1000 requests/]],
    ['error rate above the limit (6/1000)', traffic(1000, 6, 100), 'fail', [/error rate 0\.6% \(6\/1000\) > 0\.5%/]],
    ['p99 exactly 800 ms', traffic(1000, 0, 800), 'pass', [/p99 800 ms: within limits/]],
    ['p99 801 ms', traffic(1000, 0, 801), 'fail', [/p99 801 ms > 800 ms/]],
    ['every request failing', traffic(100, 100, 5), 'fail', [/error rate 100% \(100\/100\) > 0\.5%/]],
    ['both limits breached', traffic(1000, 50, 1200), 'fail', [/error rate 5% \(50\/1000\)/, /p99 1200 ms > 800 ms/]],
  ];
  for (const [name, canary, verdict, reasons] of table) {
    it(`judges ${name} ${verdict}`, () => {
      const judgement = judgeCanary(canary, limits);
      assert.equal(judgement.verdict, verdict, judgement.reasons.join('; '));
      assert.equal(judgement.reasons.length, reasons.length, judgement.reasons.join('; '));
      reasons.forEach((reason, index) => assert.match(judgement.reasons[index] ?? '', reason));
    });
  }

  it('takes minRequests from the argument over the config', () => {
    assert.equal(judgeCanary(traffic(50, 0, 100), limits, 100).verdict, 'inconclusive');
    assert.equal(judgeCanary(traffic(50, 0, 100), { ...limits, minRequests: 100 }).verdict, 'inconclusive');
    assert.equal(judgeCanary(traffic(5, 0, 100), limits, 5).verdict, 'pass');
  });

  it('applies limits from the config', () => {
    assert.equal(judgeCanary(traffic(1000, 0, 900), { ...limits, maxP99Ms: 1000 }).verdict, 'pass');
    assert.equal(judgeCanary(traffic(1000, 20, 100), { ...limits, maxErrorRate: 0.01 }).verdict, 'fail');
  });
});
