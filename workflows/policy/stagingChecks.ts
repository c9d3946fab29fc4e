/**
 * Staging validation as code: the numbers decide, whatever an agent says about them.
 * Staging is smaller than production, so latencies are multiplied by the calibration factor before
 * they are compared with production limits; the regression check compares like with like (both
 * adjusted), so the factor cancels there. Small latencies jitter by large percentages, so a p99
 * regression must exceed both the percentage limit and an absolute floor in milliseconds.
 */
import type { StagingConfig, CanaryConfig } from '../../config/schema.js';
import type { StagingReport } from '../../activities/staging/schema.js';
import type { ValidationReport } from '../../activities/validation/schema.js';

type Check = ValidationReport['checks'][number];

const round = (value: number) => Math.round(value * 10) / 10;

export function checkStaging(report: StagingReport, staging: StagingConfig, canary: CanaryConfig): ValidationReport {
  const factor = staging.calibrationFactor;
  const checks: Check[] = [{
    name: 'smoke',
    passed: report.smokePassed,
    detail: report.smoke.map((result) => `${result.path} → ${result.status}`).join(', ') || 'no smoke paths',
  }];
  const measured = report.measured;
  if (!measured || measured.requests === 0) {
    checks.push({ name: 'traffic', passed: false, detail: 'no staging traffic was measured' });
    return finish(checks, factor, null, null, null);
  }
  const adjusted = { p50Ms: round(measured.p50Ms * factor), p99Ms: round(measured.p99Ms * factor), errorRate: measured.errorRate };
  checks.push({
    name: 'error_rate',
    passed: measured.errorRate <= staging.maxErrorRate,
    detail: `${pct(measured.errorRate)} of ${measured.requests} requests failed (limit ${pct(staging.maxErrorRate)})`,
  });
  checks.push({
    name: 'p99_limit',
    passed: adjusted.p99Ms <= canary.maxP99Ms,
    detail: `p99 ${measured.p99Ms} ms on staging × ${factor} = ${adjusted.p99Ms} ms (production limit ${canary.maxP99Ms} ms)`,
  });
  const baseline = report.baseline;
  if (!baseline) {
    checks.push({ name: 'p99_regression', passed: true, detail: 'no baseline to compare with' });
    return finish(checks, factor, adjusted, null, null);
  }
  const baselineAdjusted = { p50Ms: round(baseline.p50Ms * factor), p99Ms: round(baseline.p99Ms * factor), errorRate: baseline.errorRate };
  const regression = round(((adjusted.p99Ms - baselineAdjusted.p99Ms) / Math.max(baselineAdjusted.p99Ms, 1)) * 100);
  const increaseMs = round(adjusted.p99Ms - baselineAdjusted.p99Ms);
  checks.push({
    name: 'p99_regression',
    passed: regression <= staging.maxP99RegressionPercent || increaseMs <= staging.p99RegressionFloorMs,
    detail: `p99 ${adjusted.p99Ms} ms vs baseline ${baselineAdjusted.p99Ms} ms (${baseline.source}): ${regression >= 0 ? '+' : ''}${regression}%, ${increaseMs >= 0 ? '+' : ''}${increaseMs} ms (a regression is over +${staging.maxP99RegressionPercent}% and over +${staging.p99RegressionFloorMs} ms)`,
  });
  return finish(checks, factor, adjusted, baselineAdjusted, regression);
}

function finish(
  checks: Check[], factor: number,
  adjusted: ValidationReport['adjusted'], baselineAdjusted: ValidationReport['baselineAdjusted'], regression: number | null,
): ValidationReport {
  const failed = checks.filter((check) => !check.passed);
  return {
    passed: failed.length === 0,
    calibrationFactor: factor,
    adjusted,
    baselineAdjusted,
    p99RegressionPercent: regression,
    checks,
    summary: failed.length === 0
      ? `staging validation passed (${checks.length} checks)`
      : `staging validation failed: ${failed.map((check) => `${check.name}: ${check.detail}`).join('; ')}`,
  };
}

function pct(rate: number): string {
  return `${round(rate * 100)}%`;
}
