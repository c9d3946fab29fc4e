/** Request records of the proxy (a bounded ring buffer) and the statistics computed from them. */
import type { Slot, TrafficStats } from './types.js';

export const MAX_LATENCY_SAMPLES = 2000;

const SLOT_CODE: Record<Slot, number> = { stable: 0, canary: 1 };

/** A response status that counts as an error: 5xx, and 499 (the client gave up waiting). */
export function isErrorStatus(status: number): boolean {
  return status >= 500 || status === 499 || status === 0;
}

/** The last `capacity` completed requests, in completion order; memory is fixed at construction. */
export class RequestLog {
  private readonly slot: Uint8Array;
  private readonly status: Uint16Array;
  private readonly latencyMs: Float32Array;
  private readonly completedAt: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.slot = new Uint8Array(capacity);
    this.status = new Uint16Array(capacity);
    this.latencyMs = new Float32Array(capacity);
    this.completedAt = new Float64Array(capacity);
  }

  get recorded(): number {
    return this.size;
  }

  add(slot: Slot, status: number, latencyMs: number, completedAt: number): void {
    this.slot[this.next] = SLOT_CODE[slot];
    this.status[this.next] = status;
    this.latencyMs[this.next] = latencyMs;
    this.completedAt[this.next] = completedAt;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Stats of the requests of `slot` completed in [since, until]. */
  stats(slot: Slot, since: number, until: number): TrafficStats {
    const code = SLOT_CODE[slot];
    const latencies: number[] = [];
    let errors = 0;
    const oldest = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const index = (oldest + i) % this.capacity;
      const at = this.completedAt[index] ?? 0;
      if (this.slot[index] !== code || at < since || at > until) continue;
      latencies.push(this.latencyMs[index] ?? 0);
      if (isErrorStatus(this.status[index] ?? 0)) errors++;
    }
    return summarize(latencies, errors);
  }
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}

/** Stats from latencies in completion order; the sample keeps up to 2000 of them, evenly spread. */
export function summarize(latenciesInOrder: readonly number[], errors: number): TrafficStats {
  const requests = latenciesInOrder.length;
  const sorted = [...latenciesInOrder].sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  const stride = Math.max(1, requests / MAX_LATENCY_SAMPLES);
  const latencySampleMs: number[] = [];
  for (let i = 0; i < requests && latencySampleMs.length < MAX_LATENCY_SAMPLES; i += stride) {
    latencySampleMs.push(round(latenciesInOrder[Math.floor(i)] ?? 0));
  }
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    latencySampleMs,
  };
}

export const emptyStats = (): TrafficStats => summarize([], 0);

/**
 * Deterministic weighted split: request n goes to canary when frac(n·(√5−1)/2) < percent/100.
 * Over any run of requests the canary share is within a few requests of `percent` (a low-discrepancy
 * sequence), and unlike a plain counter it does not fall into step with a round-robin list of paths
 * (a counter at 5% sends every 20th request, which with 4 paths would always be the same path).
 */
export class WeightedSplit {
  private static readonly STEP = (Math.sqrt(5) - 1) / 2;
  private position = 0;

  toCanary(percent: number): boolean {
    this.position += WeightedSplit.STEP;
    if (this.position >= 1) this.position -= 1;
    return this.position < percent / 100;
  }
}
