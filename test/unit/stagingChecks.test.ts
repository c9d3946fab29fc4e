import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Baseline, StagingReport, TrafficSummary } from '../../activities/staging/schema.js';
import type { ValidationReport } from '../../activities/validation/schema.js';
import { canaryConfigSchema, stagingConfigSchema, type StagingConfig } from '../../config/schema.js';
import { checkStaging } from '../../workflows/policy/stagingChecks.js';

const staging = stagingConfigSchema.parse({});
const canary = canaryConfigSchema.parse({});

const measured = (p99Ms: number, errors = 0, requests = 1000): TrafficSummary => ({
  requests, errors, errorRate: errors / requests, p50Ms: p99Ms / 2, p99Ms,
});
const baseline = (p99Ms: number): Baseline => ({
  ...measured(p99Ms), service: 'demo', source: 'stored', measuredAt: '2024-01-01T00:00:00.000Z', commit: 'abc123',
});
const report = (change: Partial<StagingReport> = {}): StagingReport => ({
  smoke: [{ path: '/health', status: 200, ok: true, ms: 3 }],
  smokePassed: true,
  windowSeconds: 120,
  requestsPerSecond: 50,
  measured: measured(100),
  baseline: baseline(100),
  logSha256: null,
  summary: '',
  ...change,
});

const check = (result: ValidationReport, name: string) => {
  const found = result.checks.find((c) => c.name === name);
  assert.ok(found, `no ${name} check in ${JSON.stringify(result.checks)}`);
  return found;
};
const failed = (result: ValidationReport) => result.checks.filter((c) => !c.passed).map((c) => c.name);

describe('checkStaging', () => {
  it('passes a healthy staging run with no regression', () => {
    const result = checkStaging(report(), staging, canary);
    assert.equal(result.passed, true, result.summary);
    assert.deepEqual(result.checks.map((c) => c.name), ['smoke', 'error_rate', 'p99_limit', 'p99_regression']);
    assert.equal(result.p99RegressionPercent, 0);
  });

  it('fails when smoke fails, even with good numbers', () => {
    const result = checkStaging(report({ smokePassed: false, smoke: [{ path: '/health', status: 500, ok: false, ms: 2 }] }), staging, canary);
    assert.equal(result.passed, false);
    assert.deepEqual(failed(result), ['smoke']);
    assert.match(check(result, 'smoke').detail, /\/health → 500/);
    assert.match(result.summary, /smoke/);
  });

  for (const [name, traffic] of [['null', null], ['zero requests', measured(0, 0, 0)]] as const) {
    it(`fails without staging traffic (${name})`, () => {
      const result = checkStaging(report({ measured: traffic === null ? null : { ...traffic, errorRate: 0 } }), staging, canary);
      assert.equal(result.passed, false);
      assert.deepEqual(failed(result), ['traffic']);
      assert.equal(result.adjusted, null);
    });
  }

  it('fails an error rate over the staging limit and passes one at it', () => {
    assert.deepEqual(failed(checkStaging(report({ measured: measured(100, 6) }), staging, canary)), ['error_rate']);
    assert.deepEqual(failed(checkStaging(report({ measured: measured(100, 5) }), staging, canary)), []);
  });

  describe('calibration', () => {
    const doubled: StagingConfig = { ...staging, calibrationFactor: 2 };

    it('multiplies latencies and reports raw and adjusted', () => {
      const result = checkStaging(report({ measured: measured(300), baseline: baseline(300) }), doubled, canary);
      assert.equal(result.calibrationFactor, 2);
      assert.deepEqual(result.adjusted, { p50Ms: 300, p99Ms: 600, errorRate: 0 });
      assert.deepEqual(result.baselineAdjusted, { p50Ms: 300, p99Ms: 600, errorRate: 0 });
      assert.equal(check(result, 'p99_limit').detail, 'p99 300 ms on staging × 2 = 600 ms (production limit 800 ms)');
    });

    it('applies the p99 limit to the adjusted latency', () => {
      const raw = report({ measured: measured(500), baseline: baseline(500) });
      assert.equal(checkStaging(raw, staging, canary).passed, true);
      assert.deepEqual(failed(checkStaging(raw, doubled, canary)), ['p99_limit']);
      assert.deepEqual(failed(checkStaging(report({ measured: measured(400), baseline: baseline(400) }), doubled, canary)), []);
    });
  });

  describe('p99 regression (over +20% and over +25 ms)', () => {
    const table: [string, number, number, boolean, number][] = [
      ['+100% but only +5 ms (jitter)', 5, 10, true, 100],
      ['+50% and +200 ms', 400, 600, false, 50],
      ['exactly +20% and +40 ms', 200, 240, true, 20],
      ['+21% and +42 ms', 200, 242, false, 21],
      ['+25% and exactly +25 ms', 100, 125, true, 25],
      ['+26% and +26 ms', 100, 126, false, 26],
      ['faster than baseline', 300, 200, true, -33.3],
    ];
    for (const [name, before, after, passes, percent] of table) {
      it(`${passes ? 'passes' : 'fails'} ${before} → ${after} ms (${name})`, () => {
        const result = checkStaging(report({ measured: measured(after), baseline: baseline(before) }), staging, canary);
        assert.equal(check(result, 'p99_regression').passed, passes, check(result, 'p99_regression').detail);
        assert.equal(result.passed, passes);
        assert.equal(result.p99RegressionPercent, percent);
      });
    }
  });

  it('passes the regression check with a note when there is no baseline', () => {
    const result = checkStaging(report({ baseline: null, measured: measured(700) }), staging, canary);
    assert.equal(result.passed, true);
    assert.deepEqual(check(result, 'p99_regression'), { name: 'p99_regression', passed: true, detail: 'no baseline to compare with' });
    assert.equal(result.baselineAdjusted, null);
    assert.equal(result.p99RegressionPercent, null);
  });
});
