/** What a window of one version's traffic looks like, to set live and simulated traffic side by side. */
import type { VersionTraffic } from '../../workflows/policy/traffic.js';

export interface TrafficShape {
  requests: number;
  errorRatePercent: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** share of the latency sample above 200 ms (the spikes), in percent */
  over200MsPercent: number;
}

export function trafficShape(traffic: VersionTraffic): TrafficShape {
  const count = traffic.latency.reduce((sum, bin) => sum + bin.count, 0);
  const total = traffic.latency.reduce((sum, bin) => sum + bin.ms * bin.count, 0);
  const over = traffic.latency.filter((bin) => bin.ms > 200).reduce((sum, bin) => sum + bin.count, 0);
  return {
    requests: traffic.requests,
    errorRatePercent: traffic.requests > 0 ? (100 * traffic.errors) / traffic.requests : 0,
    p50Ms: traffic.p50Ms,
    p99Ms: traffic.p99Ms,
    meanMs: count > 0 ? total / count : 0,
    over200MsPercent: count > 0 ? (100 * over) / count : 0,
  };
}

export const shapeCells = (shape: TrafficShape): string[] => [
  String(Math.round(shape.requests)),
  `${shape.errorRatePercent.toFixed(2)}%`,
  shape.p50Ms.toFixed(1),
  shape.p99Ms.toFixed(0),
  shape.meanMs.toFixed(1),
  `${shape.over200MsPercent.toFixed(2)}%`,
];

export const shapeHeader = (version: string): string[] =>
  [`${version} requests`, 'error rate', 'p50 ms', 'p99 ms', 'mean ms', '> 200 ms'].map((name, index) => (index === 0 ? name : `${version} ${name}`));

/** The per-field median of several shapes. */
export function medianShape(shapes: TrafficShape[], median: (values: number[]) => number): TrafficShape {
  const field = (key: keyof TrafficShape): number => median(shapes.map((shape) => shape[key]));
  return {
    requests: field('requests'), errorRatePercent: field('errorRatePercent'), p50Ms: field('p50Ms'), p99Ms: field('p99Ms'),
    meanMs: field('meanMs'), over200MsPercent: field('over200MsPercent'),
  };
}
