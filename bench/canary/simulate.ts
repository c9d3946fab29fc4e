/**
 * Simulated canary traffic, for what real processes cannot do in a benchmark's time (50 canaries ×
 * 10 minutes). A seeded stream of requests is split between the versions exactly as the proxy splits
 * them (WeightedSplit), each request's latency and outcome drawn from its version's model, and the
 * judge is handed, for each window, the exact VersionTraffic the proxy metrics source would produce
 * (targets/local/stats.ts summarize → activities/metrics/proxy.ts toVersionTraffic: exact counts and
 * percentiles, ≤ 2000 evenly spread latency samples as bins of count 1).
 */
import { toVersionTraffic } from '../../activities/metrics/proxy.js';
import { summarize, WeightedSplit } from '../../targets/local/stats.js';
import type { VersionTraffic } from '../../workflows/policy/traffic.js';

/** One version's behaviour; each request draws independently. */
export interface VersionModel {
  /** log-normal base latency: median e^μ and shape σ of ln(latency) */
  medianMs: number;
  sigma: number;
  errorRate: number;
  /** rare extra delay, uniform in [spikeMinMs, spikeMaxMs] */
  spikeRate: number;
  spikeMinMs: number;
  spikeMaxMs: number;
  /** the injected regression: a fixed extra delay */
  slowRate: number;
  slowMs: number;
}

export interface TrafficModel {
  requestsPerSecond: number;
  /** canary share of requests, in percent */
  percent: number;
  durationSeconds: number;
  stable: VersionModel;
  canary: VersionModel;
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same seed gives the same stream. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function drawLatencyMs(model: VersionModel, random: () => number): number {
  let ms = model.medianMs * Math.exp(model.sigma * normal(random));
  if (random() < model.spikeRate) ms += model.spikeMinMs + random() * (model.spikeMaxMs - model.spikeMinMs);
  if (random() < model.slowRate) ms += model.slowMs;
  return ms;
}

interface Completion {
  completedAtMs: number;
  latencyMs: number;
  error: boolean;
}

/** One version's requests in completion order, with running error counts for prefix windows. */
class CompletedRequests {
  readonly completedAtMs: number[] = [];
  readonly latencyMs: number[] = [];
  /** errorsBefore[k]: errors among the first k completed requests */
  readonly errorsBefore: number[] = [0];

  constructor(requests: Completion[]) {
    requests.sort((a, b) => a.completedAtMs - b.completedAtMs);
    for (const request of requests) {
      this.completedAtMs.push(request.completedAtMs);
      this.latencyMs.push(request.latencyMs);
      this.errorsBefore.push((this.errorsBefore.at(-1) ?? 0) + (request.error ? 1 : 0));
    }
  }

  /** What the proxy source reports for the requests completed in [0, untilMs]. */
  trafficUntil(untilMs: number): VersionTraffic {
    let low = 0;
    let high = this.completedAtMs.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.completedAtMs[middle] ?? Infinity) <= untilMs) low = middle + 1;
      else high = middle;
    }
    return toVersionTraffic(summarize(this.latencyMs.slice(0, low), this.errorsBefore[low] ?? 0));
  }
}

export interface SimulatedCanary {
  /** Both versions' traffic over [step start, step start + seconds], as the proxy source reports it. */
  trafficAt(seconds: number): { canary: VersionTraffic; stable: VersionTraffic };
}

/**
 * The requests a load generator sends at a steady rate over the step (request i at i / rate seconds),
 * each routed by the proxy's split and completed after its drawn latency.
 */
export function simulateCanary(model: TrafficModel, seed: number): SimulatedCanary {
  const random = seededRandom(seed);
  const split = new WeightedSplit();
  const byVersion: Record<'stable' | 'canary', Completion[]> = { stable: [], canary: [] };
  const total = Math.round(model.requestsPerSecond * model.durationSeconds);
  for (let i = 0; i < total; i++) {
    const sentAtMs = (i * 1000) / model.requestsPerSecond;
    const version = split.toCanary(model.percent) ? 'canary' : 'stable';
    const versionModel = model[version];
    const latencyMs = drawLatencyMs(versionModel, random);
    byVersion[version].push({ completedAtMs: sentAtMs + latencyMs, latencyMs, error: random() < versionModel.errorRate });
  }
  const stable = new CompletedRequests(byVersion.stable);
  const canary = new CompletedRequests(byVersion.canary);
  // Both schedules look at the same seconds (every 60 s is also every 10 s): compute each window once.
  const windows = new Map<number, { canary: VersionTraffic; stable: VersionTraffic }>();
  return {
    trafficAt(seconds) {
      let traffic = windows.get(seconds);
      if (!traffic) {
        traffic = { canary: canary.trafficUntil(seconds * 1000), stable: stable.trafficUntil(seconds * 1000) };
        windows.set(seconds, traffic);
      }
      return traffic;
    },
  };
}
