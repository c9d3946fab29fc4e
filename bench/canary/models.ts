/**
 * The faults and noise the canary benchmarks use, in one place so the live services (service.ts) and
 * the simulated streams (simulate.ts) are driven by the same numbers.
 */
import { noFault, type ServiceFault } from './service.js';
import type { VersionModel } from './simulate.js';

export interface FaultCase {
  key: string;
  title: string;
  fault: ServiceFault;
}

/** Case A: the canary fails 5% of its requests (each request independently), from its first request. */
export const errorCase: FaultCase = { key: 'A', title: '5% of canary requests answer 500', fault: { ...noFault, errorRate: 0.05 } };

/** Case B: every canary request takes 1.5 s longer (so its p99, and its p50, are ≥ 1.5 s). */
export const latencyCase: FaultCase = { key: 'B', title: 'every canary request delayed 1.5 s', fault: { ...noFault, slowRate: 1, slowMs: 1500 } };

/** Case B2 (simulated only): 2% of canary requests delayed 1.5 s, the least that still puts its p99 at 1.5 s. */
export const tailLatencyCase: FaultCase = { key: 'B2', title: '2% of canary requests delayed 1.5 s', fault: { ...noFault, slowRate: 0.02, slowMs: 1500 } };

/** Rare latency spikes on every version: 1% of requests take 200–600 ms more. */
export const spikes = { spikeRate: 0.01, spikeMinMs: 200, spikeMaxMs: 600 } as const;

/** Background error rates of healthy versions: each simulated deployment draws one in this range for both versions. */
export const backgroundErrorRate = { min: 0.0005, max: 0.001 } as const;

/**
 * A healthy version's base latency: log-normal with median 5 ms and σ = 1.0 (of ln ms). Measured on
 * this 2-core machine under the load of other work: the demo service behind the proxy answered with a
 * median of 5.0–5.5 ms and ln-latency σ of 1.03–1.14 (p99 65–90 ms without spikes).
 */
export const healthyVersion: VersionModel = {
  medianMs: 5,
  sigma: 1.0,
  errorRate: (backgroundErrorRate.min + backgroundErrorRate.max) / 2,
  ...spikes,
  slowRate: 0,
  slowMs: 0,
};

/** A healthy version with a fault's errors and slowness added. */
export function withFault(model: VersionModel, fault: ServiceFault): VersionModel {
  return {
    ...model,
    // An injected error and a background one are independent: the request fails if either does.
    errorRate: 1 - (1 - model.errorRate) * (1 - fault.errorRate),
    slowRate: fault.slowRate,
    slowMs: fault.slowMs,
  };
}

/** The fault a live healthy-but-noisy version runs with: background errors and spikes, nothing else. */
export const liveNoise: ServiceFault = { ...noFault, errorRate: backgroundErrorRate.max, ...spikes };
