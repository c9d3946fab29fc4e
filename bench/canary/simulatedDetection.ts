/**
 * Rollback latency over many simulated canaries of a fault case (healthy noise on both versions, the
 * fault on the canary from its first request): the distribution the three live runs sample from, and
 * cases too slow to run live several times.
 */
import { defaultCanary } from './local.js';
import { healthyVersion, withFault, type FaultCase } from './models.js';
import { fixedSchedule, ourSchedule, rolledBack, type StepDecision } from './schedules.js';
import { simulateCanary } from './simulate.js';

export interface SimulatedDetection {
  faultCase: FaultCase;
  /** seconds to the rollback decision per seed; Infinity: none within the cap */
  ours: number[];
  fixed: number[];
}

const decisionSeconds = (decision: StepDecision): number => (rolledBack(decision) ? decision.atSeconds : Number.POSITIVE_INFINITY);

export function simulateDetection(faultCase: FaultCase, seeds: number, capSeconds: number, fixedEverySeconds: number): SimulatedDetection {
  const canary = defaultCanary;
  const ours: number[] = [];
  const fixed: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const simulated = simulateCanary({
      requestsPerSecond: canary.requestsPerSecond,
      percent: canary.percent,
      durationSeconds: capSeconds,
      stable: healthyVersion,
      canary: withFault(healthyVersion, faultCase.fault),
    }, seed);
    const schedule = { stepSeconds: canary.durationSeconds, capSeconds };
    ours.push(decisionSeconds(ourSchedule(simulated.trafficAt, canary, schedule)));
    fixed.push(decisionSeconds(fixedSchedule(simulated.trafficAt, canary, fixedEverySeconds, schedule)));
  }
  return { faultCase, ours, fixed };
}

/** The value below which `fraction` of the values lie (nearest rank); Infinity counts as largest. */
export function quantile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}
