/**
 * The local deploy target with real processes and real HTTP: the demo service behind the weighted
 * proxy, load from the load generator, state files, crash recovery.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { baseRepoFiles, demoPullRequests, type DemoPullRequest } from '../../examples/demo-service/pr-changes/index.js';
import { percentile, RequestLog, WeightedSplit } from '../../targets/local/stats.js';
import { listStates, readState, reapOrphans, stopStateProcesses } from '../../targets/local/supervisor.js';
import { createLocalTarget } from '../../targets/local/target.js';
import type { DeploymentState, LocalTarget } from '../../targets/local/types.js';
import { demoServiceConfig, pidAlive, startDyingWorker, waitAllDead } from '../helpers/processes.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const root = mkdtempSync(join(tmpdir(), 'prpilot-local-target-'));
const stateDir = join(root, 'state');
const logDir = join(root, 'logs');
const service = demoServiceConfig();
const targets: LocalTarget[] = [];

function newTarget(): LocalTarget {
  const target = createLocalTarget({ stateDir, logDir, graceMs: 2_000 });
  targets.push(target);
  return target;
}

/** Writes the demo service's base commit, with a demo PR applied, to a fresh directory. */
function checkoutDemo(name: string, pr?: DemoPullRequest['key']): string {
  const dir = join(root, 'src', name);
  const files: Record<string, string | null> = { ...baseRepoFiles(), ...demoPullRequests.find((p) => p.key === pr)?.files };
  for (const [path, content] of Object.entries(files)) {
    if (content === null) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function pidsOf(state: DeploymentState | null): number[] {
  return Object.values(state?.processes ?? {}).map((record) => record.pid);
}

const share = (stats: Record<string, { requests: number }>): number =>
  (stats.canary?.requests ?? 0) / ((stats.canary?.requests ?? 0) + (stats.stable?.requests ?? 0));

let baseDir = '';
let badDir = '';

before(() => {
  baseDir = checkoutDemo('base');
  badDir = checkoutDemo('bad', 'bad');
});

after(async () => {
  await Promise.all(targets.map((target) => target.stopAll()));
  // Whatever is left (a failed test, the stand-in worker's deployments): stop it from the state files.
  for (const state of listStates(stateDir)) await stopStateProcesses(state, 1_000);
  rmSync(root, { recursive: true, force: true });
});

describe('proxy bookkeeping', () => {
  test('the weighted split is exact over a run and does not fall into step with round-robin paths', () => {
    const split = new WeightedSplit();
    const perPath = [0, 0, 0, 0];
    for (let n = 0; n < 10_000; n++) if (split.toCanary(5)) perPath[n % 4]! += 1;
    assert.ok(Math.abs(perPath.reduce((a, b) => a + b) - 500) <= 2, String(perPath));
    for (const count of perPath) assert.ok(Math.abs(count - 125) <= 10, `each path gets its share: ${perPath.join(',')}`);
    const zero = new WeightedSplit();
    const full = new WeightedSplit();
    for (let n = 0; n < 1000; n++) {
      assert.equal(zero.toCanary(0), false);
      assert.equal(full.toCanary(100), true);
    }
  });

  test('the request log is a bounded ring and its stats cover the asked window', () => {
    const log = new RequestLog(1000);
    for (let i = 0; i < 1500; i++) log.add(i % 10 === 0 ? 'canary' : 'stable', i % 100 === 0 ? 502 : 200, i % 50, 1_000 + i);
    assert.equal(log.recorded, 1000);
    const canary = log.stats('canary', 0, Infinity);
    assert.equal(canary.requests, 100, 'only the last 1000 records are kept');
    assert.equal(canary.errors, 10);
    const stable = log.stats('stable', 2_000, 2_099);
    assert.equal(stable.requests, 90);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([], 99), 0);
  });
});

describe('demo service', () => {
  test('its tests pass with each demo PR applied and write an lcov report', async () => {
    const dirs = [baseDir, badDir, checkoutDemo('clean', 'clean'), checkoutDemo('risky', 'risky')];
    await Promise.all(
      dirs.map(async (dir) => {
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT;
        await run('npm', ['test', '--silent'], { cwd: dir, env, timeout: 60_000 });
        assert.match(readFileSync(join(dir, 'coverage/lcov.info'), 'utf8'), /^SF:src\/orders\.js$/m, dir);
      }),
    );
    assert.ok(existsSync(join(root, 'src/risky/migrations/002_add_orders_status.sql')));
  });
});

describe('local target', () => {
  test('startSingle, smoke and measure on the healthy demo', async () => {
    const target = newTarget();
    const { url } = await target.startSingle('single', { label: 'staging', dir: baseDir }, service);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await target.running(), ['single']);

    const again = await target.startSingle('single', { label: 'staging', dir: baseDir }, service);
    assert.equal(again.url, url, 'startSingle is idempotent');

    const smoke = await target.smoke('single', service.smokePaths);
    assert.deepEqual(smoke.map((result) => [result.path, result.status, result.ok]), service.smokePaths.map((path) => [path, 200, true]));
    const home = (await (await fetch(`${url}/`)).json()) as { env: string; version: string };
    assert.deepEqual([home.env, home.version], ['staging', 'staging']);

    const progress: number[] = [];
    const stats = await target.measure('single', { requestsPerSecond: 50, windowSeconds: 2, paths: service.trafficPaths, onProgress: (s) => progress.push(s) });
    const staging = stats.staging;
    assert.ok(staging, `stats are keyed by the version label: ${Object.keys(stats).join(', ')}`);
    assert.ok(staging.requests >= 80 && staging.requests <= 110, `about 100 requests in 2 s at 50 rps (got ${staging.requests})`);
    assert.equal(staging.errorRate, 0);
    assert.ok(staging.p99Ms > 0 && staging.p50Ms <= staging.p99Ms);
    assert.equal(staging.latencySampleMs.length, staging.requests);
    assert.ok(progress.length >= 2 && progress.at(-1) === 2, `progress about once a second: ${progress.join(",")}`);

    const pids = pidsOf(readState(stateDir, 'single'));
    await target.stop('single');
    await target.stop('single');
    assert.deepEqual(await waitAllDead(pids, 0), [], 'no process left after stop');
    assert.equal(readState(stateDir, 'single'), null);
    assert.deepEqual(await target.running(), []);
  });

  test('a service that does not come up fails with its name, dir and last log lines, leaving nothing running', async () => {
    const target = newTarget();
    const broken = { ...service, name: 'broken-service', start: ['node', '-e', 'console.error("missing DATABASE_URL"); process.exit(3)'] };
    await assert.rejects(target.startSingle('broken', { label: 'staging', dir: baseDir }, broken), (error: Error) => {
      assert.match(error.message, /broken-service/);
      assert.ok(error.message.includes(baseDir));
      assert.match(error.message, /exited with code 3/);
      assert.match(error.message, /missing DATABASE_URL/);
      return true;
    });
    assert.deepEqual(await target.running(), []);
    assert.equal(readState(stateDir, 'broken'), null);
  });

  test('canary split, promote, idempotent rollback and stop', async () => {
    const target = newTarget();
    await target.startCanary('split', {
      stable: { label: 'stable', dir: baseDir },
      canary: { label: 'canary', dir: baseDir },
      service,
      percent: 20,
      requestsPerSecond: 150,
      paths: service.trafficPaths,
    });
    const since = Date.now();
    await sleep(2_000);
    const stats = await target.stats('split', since);
    assert.ok((stats.stable?.requests ?? 0) + (stats.canary?.requests ?? 0) >= 200, JSON.stringify(stats));
    assert.ok(Math.abs(share(stats) - 0.2) < 0.03, `canary share ≈ 20% (got ${share(stats)})`);
    assert.equal(stats.canary?.errorRate, 0);

    await target.promote('split');
    await target.promote('split');
    const afterPromote = Date.now();
    await sleep(500);
    assert.equal(share(await target.stats('split', afterPromote)), 1, 'promote sends everything to canary');

    const before = readState(stateDir, 'split');
    const canaryPid = before?.processes.canary?.pid ?? 0;
    assert.deepEqual(await target.rollback('split'), { stableHealthy: true });
    assert.deepEqual(await target.rollback('split'), { stableHealthy: true }, 'rollback is idempotent');
    assert.equal(pidAlive(canaryPid), false, 'the canary process is stopped');
    const afterRollback = Date.now();
    await sleep(700);
    const rolledBack = await target.stats('split', afterRollback);
    assert.equal(rolledBack.canary?.requests, 0);
    assert.ok((rolledBack.stable?.requests ?? 0) > 50, 'stable keeps serving the load');
    assert.equal(rolledBack.stable?.errorRate, 0);
    await assert.rejects(target.promote('split'), /rolled back/);

    const pids = pidsOf(readState(stateDir, 'split'));
    assert.equal(pids.length, 3, 'proxy, stable, load generator');
    await target.stop('split');
    assert.deepEqual(await waitAllDead([...pids, canaryPid], 0), []);
    assert.deepEqual(await target.running(), []);
  });

  test('the bad PR passes staging but its canary errors in production; stable does not', async () => {
    const target = newTarget();
    await target.startSingle('bad-staging', { label: 'staging', dir: badDir }, service);
    const staging = await target.measure('bad-staging', { requestsPerSecond: 60, windowSeconds: 1, paths: service.trafficPaths });
    assert.ok((staging.staging?.requests ?? 0) > 40);
    assert.equal(staging.staging?.errorRate, 0, 'no errors under SERVICE_ENV=staging');
    await target.stop('bad-staging');

    await target.startCanary('bad-canary', {
      stable: { label: 'stable', dir: baseDir },
      canary: { label: 'canary', dir: badDir },
      service,
      percent: 30,
      requestsPerSecond: 150,
      paths: service.trafficPaths,
    });
    const since = Date.now();
    await sleep(2_000);
    const stats = await target.stats('bad-canary', since);
    assert.ok((stats.canary?.requests ?? 0) >= 60, JSON.stringify(stats.canary?.requests));
    assert.ok((stats.canary?.errorRate ?? 0) > 0.1, `canary error rate ${stats.canary?.errorRate}`);
    assert.ok((stats.canary?.errorRate ?? 1) < 0.4, `canary error rate ${stats.canary?.errorRate}`);
    assert.equal(stats.stable?.errorRate, 0);
    assert.deepEqual(await target.rollback('bad-canary'), { stableHealthy: true });
    await target.stop('bad-canary');
  });

  test('after a worker dies: another process rolls back from the state file, reapOrphans stops the rest', async () => {
    const worker = await startDyingWorker({ stateDir, logDir, serviceDir: baseDir, canaryId: 'crash-canary', singleId: 'crash-single' });
    const canaryState = readState(stateDir, 'crash-canary');
    const singleState = readState(stateDir, 'crash-single');
    assert.equal(canaryState?.supervisorPid, worker.pid);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));

    const orphans = [...pidsOf(canaryState), ...pidsOf(singleState)];
    assert.equal(orphans.length, 6);
    assert.ok(orphans.every(pidAlive), 'the deployments outlive their worker');
    const target = newTarget();
    assert.deepEqual(await target.running(), ['crash-canary', 'crash-single']);

    // A retried rollback activity on another worker: adopts the deployment and rolls it back.
    assert.deepEqual(await target.rollback('crash-canary'), { stableHealthy: true });
    assert.equal(readState(stateDir, 'crash-canary')?.supervisorPid, process.pid);
    assert.equal(pidAlive(canaryState?.processes.canary?.pid ?? 0), false);

    // The other one has no live supervisor: reaped.
    assert.deepEqual(await reapOrphans(stateDir, 2_000), ['crash-single']);
    assert.deepEqual(await waitAllDead(pidsOf(singleState), 0), []);
    assert.equal(readState(stateDir, 'crash-single'), null);
    assert.deepEqual(await target.running(), ['crash-canary']);

    await target.stopAll();
    assert.deepEqual(await waitAllDead(pidsOf(canaryState), 0), []);
    assert.deepEqual(await target.running(), []);
  });
});
