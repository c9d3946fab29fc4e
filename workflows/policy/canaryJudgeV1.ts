/**
 * The seed's canary rule, as code: roll back when the canary's error rate exceeds the limit
 * (default 0.5%) or its p99 exceeds the limit (default 800 ms). Too little canary traffic to judge is
 * `inconclusive`, which the pipeline treats as failure at the end of the window (fail closed).
 */
import type { CanaryConfig } from '../../config/schema.js';
import type { TrafficSummary } from '../../activities/staging/schema.js';

export type CanaryVerdict = 'pass' | 'fail' | 'inconclusive';

export interface CanaryJudgement {
  verdict: CanaryVerdict;
  reasons: string[];
}

export function judgeCanary(canary: TrafficSummary, limits: CanaryConfig, minRequests = limits.minRequests): CanaryJudgement {
  const reasons: string[] = [];
  if (canary.errorRate > limits.maxErrorRate && canary.errors > 0) {
    reasons.push(`canary error rate ${percent(canary.errorRate)} (${canary.errors}/${canary.requests}) > ${percent(limits.maxErrorRate)}`);
  }
  if (canary.requests > 0 && canary.p99Ms > limits.maxP99Ms) {
    reasons.push(`canary p99 ${canary.p99Ms} ms > ${limits.maxP99Ms} ms`);
  }
  if (reasons.length > 0) return { verdict: 'fail', reasons };
  if (canary.requests < minRequests) {
    return { verdict: 'inconclusive', reasons: [`only ${canary.requests} canary request(s), need ${minRequests} to judge`] };
  }
  return {
    verdict: 'pass',
    reasons: [`canary error rate ${percent(canary.errorRate)} over ${canary.requests} requests, p99 ${canary.p99Ms} ms: within limits`],
  };
}

function percent(rate: number): string {
  return `${Math.round(rate * 10_000) / 100}%`;
}
