/**
 * The Prometheus metrics source against a real Prometheus (scripts/ensure-prometheus) scraping a real
 * local canary: the demo service as stable, and as canary a copy whose every response is a slow 500.
 * Prometheus finds the service processes through the local target's file_sd files. Over the same
 * window, the Prometheus source must see the canary's errors and slowness and stable's health, with
 * request counts close to what the proxy itself recorded.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { metricsConfigSchema } from '../../config/metrics.js';
import { createMetricsSource } from '../../activities/metrics/source.js';
import { baseRepoFiles } from '../../examples/demo-service/pr-changes/index.js';
import { prometheusTargetsFile } from '../../targets/local/prometheusTargets.js';
import { createLocalTarget } from '../../targets/local/target.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { VersionTraffic } from '../../workflows/policy/traffic.js';
import { demoServiceConfig, demoServiceDir, waitAllDead } from '../helpers/processes.js';
import { freePort } from '../helpers/temporal.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const DEPLOYMENT = 'prom-e2e';
const CANARY_DELAY_MS = 300;
const WINDOW_MS = 12_000;

const root = mkdtempSync(join(tmpdir(), 'prpilot-prometheus-'));
const targetsDir = join(root, 'file_sd');
const service = demoServiceConfig();
let prometheusPid: number | null = null;
let prometheusUrl = '';
let prometheusLog = '';
let target: LocalTarget | null = null;

/** The demo service, except that every request but health answers 500 after CANARY_DELAY_MS. */
function writeBrokenCanary(dir: string): void {
  for (const [path, content] of Object.entries(baseRepoFiles())) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const serverJs = join(dir, 'server.js');
  let text = readFileSync(serverJs, 'utf8');
  const edits: [string, string][] = [
    [
      "({ status, body } = handle(req.method ?? 'GET', path));",
      "({ status, body } = path === '/health' ? handle(req.method ?? 'GET', path) : { status: 500, body: { error: 'broken canary' } });",
    ],
    ['  res.end(json);\n', `  setTimeout(() => res.end(json), path === '/health' ? 0 : ${CANARY_DELAY_MS});\n`],
  ];
  for (const [from, to] of edits) {
    assert.equal(text.split(from).length - 1, 1, `the demo's server.js no longer has ${JSON.stringify(from)} once: update this test`);
    text = text.replace(from, to);
  }
  writeFileSync(serverJs, text);
}

async function ensurePrometheus(): Promise<string> {
  try {
    const { stdout } = await run(join(repoRoot, 'scripts', 'ensure-prometheus'), { cwd: repoRoot });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`scripts/ensure-prometheus found no Prometheus:\n${stderr}`);
  }
}

async function startPrometheus(): Promise<void> {
  const binary = await ensurePrometheus();
  const config = join(root, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: prpilot',
      '    file_sd_configs:',
      `      - files: [${JSON.stringify(join(targetsDir, '*.json'))}]`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheusLog = join(root, 'prometheus.log');
  const log = openSync(prometheusLog, 'a');
  let exited: string | null = null;
  try {
    const child = spawn(
      binary,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(root, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { detached: true, stdio: ['ignore', log, log] },
    );
    child.on('error', (error) => (exited = error.message));
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    prometheusPid = child.pid ?? null;
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${prometheusUrl}/-/ready`).then((response) => response.ok, () => false);
    if (ready) return;
    if (exited) throw new Error(`Prometheus ${exited} before it was ready:\n${readFileSync(prometheusLog, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`Prometheus did not become ready in 30 s:\n${readFileSync(prometheusLog, 'utf8').slice(-2000)}`);
    await sleep(200);
  }
}

async function stopPrometheus(): Promise<void> {
  const pid = prometheusPid;
  if (pid === null) return;
  prometheusPid = null;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  if ((await waitAllDead([pid], 10_000)).length > 0) process.kill(-pid, 'SIGKILL');
  await waitAllDead([pid], 5_000);
}

const targetsSchema = z.object({
  data: z.object({
    activeTargets: z.array(z.object({ labels: z.record(z.string(), z.string()), health: z.string(), lastScrape: z.string() })),
  }),
});

/** Waits until Prometheus scrapes both versions of the deployment successfully. */
async function waitForScrapes(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const body = targetsSchema.parse(await (await fetch(`${prometheusUrl}/api/v1/targets?state=active`)).json());
    const up = body.data.activeTargets.filter((t) => t.labels.deployment === DEPLOYMENT && t.health === 'up').map((t) => t.labels.version);
    if (up.includes('stable') && up.includes('canary')) return;
    if (Date.now() > deadline) throw new Error(`Prometheus is not scraping both versions after 30 s: ${JSON.stringify(body.data.activeTargets)}`);
    await sleep(250);
  }
}

const within = (actual: number, expected: number): boolean => Math.abs(actual - expected) <= Math.max(5, 0.15 * expected);
const slowShare = (traffic: VersionTraffic, fromMs: number): number => {
  const total = traffic.latency.reduce((sum, bin) => sum + bin.count, 0);
  return total === 0 ? 0 : traffic.latency.filter((bin) => bin.ms >= fromMs).reduce((sum, bin) => sum + bin.count, 0) / total;
};

before(async () => {
  await startPrometheus();
  const canaryDir = join(root, 'canary-src');
  writeBrokenCanary(canaryDir);
  target = createLocalTarget({ stateDir: join(root, 'state'), logDir: join(root, 'logs'), graceMs: 2_000, prometheusTargetsDir: targetsDir });
  await target.startCanary(DEPLOYMENT, {
    stable: { label: 'stable', dir: demoServiceDir },
    canary: { label: 'canary', dir: canaryDir },
    service,
    percent: 30,
    requestsPerSecond: 40,
    paths: service.trafficPaths,
  });
});

after(async () => {
  try {
    await target?.stopAll();
  } finally {
    await stopPrometheus();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the local target lists both versions for Prometheus file_sd', () => {
  const groups = z
    .array(z.object({ targets: z.array(z.string()), labels: z.record(z.string(), z.string()) }))
    .parse(JSON.parse(readFileSync(prometheusTargetsFile(targetsDir, DEPLOYMENT), 'utf8')));
  assert.deepEqual(
    groups.map((group) => group.labels),
    [
      { deployment: DEPLOYMENT, version: 'stable', service: 'demo-service' },
      { deployment: DEPLOYMENT, version: 'canary', service: 'demo-service' },
    ],
  );
  for (const group of groups) assert.match(group.targets[0] ?? '', /^127\.0\.0\.1:\d+$/);
});

test('Prometheus sees the canary fail and stable stay healthy, as the proxy does', async () => {
  assert.ok(target);
  await waitForScrapes();
  const sinceEpochMs = Date.now();
  await sleep(WINDOW_MS);
  const untilEpochMs = Date.now();
  // Let the scrape that was in flight at `until` land, so both sources see the same window.
  await sleep(1_500);
  const query = { deploymentId: DEPLOYMENT, service: service.name, sinceEpochMs, untilEpochMs };
  const config = metricsConfigSchema.parse({ source: 'prometheus', url: prometheusUrl });
  const [prometheus, proxy] = await Promise.all([
    createMetricsSource(config, { target }).observe(query),
    createMetricsSource({ source: 'proxy' }, { target }).observe(query),
  ]);
  const summary = JSON.stringify({ prometheus: { ...prometheus, stable: { ...prometheus.stable, latency: '…' } }, proxy: { stable: proxy.stable.requests, canary: proxy.canary.requests } });

  assert.equal(prometheus.source, 'prometheus');
  // The canary: every request an error, and slow.
  assert.ok(prometheus.canary.requests >= 30, summary);
  assert.ok(prometheus.canary.errors >= 0.95 * prometheus.canary.requests, summary);
  assert.ok(prometheus.canary.p99Ms >= CANARY_DELAY_MS, summary);
  assert.ok(slowShare(prometheus.canary, CANARY_DELAY_MS) >= 0.9, summary);
  // Stable: no errors, fast.
  assert.ok(prometheus.stable.requests >= 100, summary);
  assert.equal(prometheus.stable.errors, 0, summary);
  assert.ok(prometheus.stable.p99Ms < CANARY_DELAY_MS, summary);
  assert.ok(slowShare(prometheus.stable, CANARY_DELAY_MS) < 0.05, summary);
  // The same requests as the proxy counted, within extrapolation and scrape timing.
  assert.ok(within(prometheus.stable.requests, proxy.stable.requests), summary);
  assert.ok(within(prometheus.canary.requests, proxy.canary.requests), summary);
  assert.ok(within(prometheus.canary.errors, proxy.canary.errors), summary);
  assert.ok(prometheus.canary.latency.reduce((sum, bin) => sum + bin.count, 0) <= prometheus.canary.requests, summary);
});

test('rollback takes the canary out of the file_sd list, stop removes the file', async () => {
  assert.ok(target);
  const file = prometheusTargetsFile(targetsDir, DEPLOYMENT);
  const { stableHealthy } = await target.rollback(DEPLOYMENT);
  assert.equal(stableHealthy, true);
  const versions = (JSON.parse(readFileSync(file, 'utf8')) as { labels: { version: string } }[]).map((group) => group.labels.version);
  assert.deepEqual(versions, ['stable']);
  await target.stop(DEPLOYMENT);
  assert.equal(existsSync(file), false);
});
