import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, DURATION_BUCKETS_SECONDS } from '../src/metrics.js';

const sample = (text, series) => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('requests are counted by status code', () => {
  const metrics = createMetrics({ service: 'demo-service', version: 'canary' });
  metrics.observe(200, 0.003);
  metrics.observe(200, 0.02);
  metrics.observe(500, 0.9);
  const text = metrics.render();
  assert.equal(sample(text, 'http_requests_total{service="demo-service",version="canary",code="200"}'), 2);
  assert.equal(sample(text, 'http_requests_total{service="demo-service",version="canary",code="500"}'), 1);
  assert.match(text, /# TYPE http_requests_total counter/);
});

test('the latency histogram is cumulative, with a bucket at 0.8 s', () => {
  const metrics = createMetrics({ service: 'demo-service', version: 'stable' });
  metrics.observe(200, 0.003);
  metrics.observe(200, 0.02);
  metrics.observe(500, 0.9);
  const text = metrics.render();
  const bucket = (le) => sample(text, `http_request_duration_seconds_bucket{service="demo-service",version="stable",le="${le}"}`);
  assert.ok(DURATION_BUCKETS_SECONDS.includes(0.8));
  assert.equal(bucket('0.005'), 1);
  assert.equal(bucket('0.025'), 2);
  assert.equal(bucket('0.8'), 2);
  assert.equal(bucket('1'), 3);
  assert.equal(bucket('+Inf'), 3);
  assert.equal(sample(text, 'http_request_duration_seconds_count{service="demo-service",version="stable"}'), 3);
  assert.ok(Math.abs((sample(text, 'http_request_duration_seconds_sum{service="demo-service",version="stable"}') ?? 0) - 0.923) < 1e-9);
});

test('label values are escaped', () => {
  const metrics = createMetrics({ service: 'a"b\\c', version: 'v' });
  metrics.observe(200, 0.001);
  assert.match(metrics.render(), /service="a\\"b\\\\c"/);
});
