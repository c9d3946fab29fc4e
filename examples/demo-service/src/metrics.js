/**
 * The service's Prometheus metrics, in the text exposition format (written by hand: no dependency).
 *
 *   http_requests_total{service,version,code}            counter
 *   http_request_duration_seconds{service,version}       histogram, from arrival to the last byte sent
 *
 * The 0.8 s bucket is the canary's default p99 limit, so a p99 read from the buckets is exact there.
 */

export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5, 10];

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** @param {string} value */
function escapeLabelValue(value) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** @param {Record<string, string>} labels */
function formatLabels(labels) {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${pairs.join(',')}}`;
}

/**
 * @param {{ service: string, version: string }} labels
 */
export function createMetrics({ service, version }) {
  /** @type {Map<number, number>} status code → requests */
  const requestsByCode = new Map();
  const bucketCounts = DURATION_BUCKETS_SECONDS.map(() => 0);
  let durationCount = 0;
  let durationSum = 0;

  return {
    /**
     * Counts one answered request.
     * @param {number} status
     * @param {number} seconds
     */
    observe(status, seconds) {
      requestsByCode.set(status, (requestsByCode.get(status) ?? 0) + 1);
      durationCount += 1;
      durationSum += seconds;
      DURATION_BUCKETS_SECONDS.forEach((bound, index) => {
        if (seconds <= bound) bucketCounts[index] += 1;
      });
    },

    /** The exposition text served at GET /metrics. */
    render() {
      const lines = [
        '# HELP http_requests_total Requests answered, by status code.',
        '# TYPE http_requests_total counter',
      ];
      for (const [code, count] of [...requestsByCode].sort(([a], [b]) => a - b)) {
        lines.push(`http_requests_total${formatLabels({ service, version, code: String(code) })} ${count}`);
      }
      lines.push(
        '# HELP http_request_duration_seconds Time from a request arriving to its response being sent.',
        '# TYPE http_request_duration_seconds histogram',
      );
      DURATION_BUCKETS_SECONDS.forEach((bound, index) => {
        lines.push(`http_request_duration_seconds_bucket${formatLabels({ service, version, le: String(bound) })} ${bucketCounts[index]}`);
      });
      lines.push(
        `http_request_duration_seconds_bucket${formatLabels({ service, version, le: '+Inf' })} ${durationCount}`,
        `http_request_duration_seconds_sum${formatLabels({ service, version })} ${durationSum}`,
        `http_request_duration_seconds_count${formatLabels({ service, version })} ${durationCount}`,
      );
      return `${lines.join('\n')}\n`;
    },
  };
}
