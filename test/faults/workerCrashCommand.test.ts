/**
 * The worker is SIGKILLed during the canary, while promoting and while rolling back, on the `command`
 * deploy target: every step runs test/fixtures/faults/step.sh, which logs each invocation with its
 * idempotency key, and can block until the test releases it (so the worker dies while the step runs).
 * The step's ledger (PRPILOT_HOME/command-deployments) must keep a completed step from running twice;
 * an interrupted step may run again, with the same key. The canary is measured by the Prometheus stub.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLedger } from '../../targets/command/ledger.js';
import { pidAlive } from '../helpers/processes.js';
import { commandTargetSections, faultConfig, writeConfig } from './lib/config.js';
import { invocationEndings, invocations, stepCounts } from './lib/deployCalls.js';
import { caseDir, touch } from './lib/files.js';
import { setUpCanaryFaultSuite, tearDownCanaryFaultSuite, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';
import type { PrometheusStub } from './lib/prometheusStub.js';
import { waitUntil } from './lib/wait.js';

describe('worker SIGKILLed during the canary, promotion and rollback (command target)', { timeout: 1_800_000 }, () => {
  let env: FaultEnv;
  let prometheus: PrometheusStub;
  before(async () => ({ env, prometheus } = await setUpCanaryFaultSuite()));
  after(() => tearDownCanaryFaultSuite({ env, prometheus }));

  const ledgerDir = () => path.join(env.home, 'command-deployments');
  const commandConfig = async (name: string, dir: string, canary: Record<string, unknown> = {}) => {
    const sections = commandTargetSections(dir, prometheus.url);
    return writeConfig(dir, name, faultConfig({ ...sections, canary: { ...sections.canary, ...canary } }));
  };

  it('while the canary is judged: the watch resumes on the new worker from its last heartbeat; deployed, every step once', async () => {
    const dir = await caseDir(env.home, 'command-canary');
    const config = await commandConfig('canary', dir, { durationSeconds: 24 });
    const id = await env.start({ head: 'pr/clean', pr: 1, config });
    try {
      await env.waitForStage(id, 'canary');
      await waitUntil('a judgement to be heartbeated', async () => (prometheus.queries.get(`${id}-r1`) ?? 0) >= 6, { everyMs: 200, context: env.diagnostics });
      await env.worker.crash();
      await env.worker.start();

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      assert.deepEqual(await stepCounts(dir, id), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        promote: { started: 1, ended: 1, failed: 0 },
        stop: { started: 1, ended: 1, failed: 0 },
      });
      const watches = await activityRuns(env.handle(id), 'watchCanary');
      assert.deepEqual(watches.map((run) => [run.ended, run.attempt]), [['completed', 2]]);
      assert.match(watches[0]?.lastFailure ?? '', /heartbeat/i);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('while promoting: the interrupted promote runs again with the same idempotency key; nothing completed runs twice', async () => {
    const dir = await caseDir(env.home, 'command-promote');
    await touch(dir, 'block-promote');
    const config = await commandConfig('promote', dir);
    const id = await env.start({ head: 'pr/clean', pr: 2, config });
    try {
      await env.waitForStage(id, 'promoting');
      await waitUntil('promote.sh to run', async () => (await invocations(dir, 'promote', id)).length === 1, { context: env.diagnostics });
      await env.worker.crash();
      await env.worker.start();
      // The dead worker's script is stopped by its group's leader; the retry comes after the heartbeat timeout.
      const promotes = await waitUntil('promote.sh to run again', async () => {
        const found = await invocations(dir, 'promote', id);
        return found.length === 2 ? found : null;
      }, { timeoutMs: 180_000, context: env.diagnostics });
      assert.equal(promotes[1]?.key, promotes[0]?.key, 'the retry carries the interrupted step\'s key');
      assert.equal(promotes[0]?.key, `${id}-r1:promote`);
      await touch(dir, 'release-promote');

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      assert.deepEqual(await stepCounts(dir, id), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        promote: { started: 2, ended: 1, failed: 0 },
        stop: { started: 1, ended: 1, failed: 0 },
      });
      const endings = await invocationEndings(dir, 'promote', id);
      assert.deepEqual(endings.map((entry) => entry.ending), ['none', 'end'], 'the dead worker\'s promote.sh never finished (its group\'s leader stopped it); the retry did');
      assert.equal(pidAlive(endings[0]?.pid ?? 0), false);
      const ledger = await readLedger(ledgerDir(), `${id}-r1`);
      const promote = ledger?.entries.find((entry) => entry.step === 'promote');
      assert.equal(promote?.status, 'completed');
      assert.equal(promote?.attempts, 2);
      assert.equal(ledger?.entries.some((entry) => entry.step === 'rollback'), false, 'never rolled back');
    } finally {
      await touch(dir, 'release-promote');
      await terminateIfRunning(env, id);
    }
  });

  let rollbackCase: { crashedAt: number; retriedAt: number } | null = null;

  it('while rolling back: the interrupted rollback runs again with the same key; rolled back, never promoted', async () => {
    const dir = await caseDir(env.home, 'command-rollback');
    await touch(dir, 'block-rollback');
    const config = await commandConfig('rollback', dir);
    const id = await env.start({ head: 'pr/clean', pr: 3, config });
    prometheus.bad.add(id);
    try {
      await env.waitForStage(id, 'rolling_back');
      await waitUntil('rollback.sh to run', async () => (await invocations(dir, 'rollback', id)).length === 1, { context: env.diagnostics });
      await env.worker.crash();
      const crashedAt = Date.now();
      await env.worker.start();
      // rollbackCanary heartbeats: the server retries it at its 30 s heartbeat timeout (checked in the next case).
      const rollbacks = await waitUntil('rollback.sh to run again', async () => {
        const found = await invocations(dir, 'rollback', id);
        return found.length === 2 ? found : null;
      }, { timeoutMs: 300_000, context: env.diagnostics });
      rollbackCase = { crashedAt, retriedAt: rollbacks[1]?.at ?? 0 };
      assert.equal(rollbacks[1]?.key, rollbacks[0]?.key);
      assert.equal(rollbacks[0]?.key, `${id}-r1:rollback`);
      await touch(dir, 'release-rollback');

      const result = await env.result(id);
      assert.equal(result.outcome, 'rolled_back', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      assert.deepEqual(await stepCounts(dir, id), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        rollback: { started: 2, ended: 1, failed: 0 },
        stop: { started: 1, ended: 1, failed: 0 },
      });
      const endings = await invocationEndings(dir, 'rollback', id);
      assert.deepEqual(endings.map((entry) => entry.ending), ['none', 'end']);
      assert.equal(pidAlive(endings[0]?.pid ?? 0), false);
      const ledger = await readLedger(ledgerDir(), `${id}-r1`);
      assert.equal(ledger?.entries.find((entry) => entry.step === 'rollback')?.status, 'completed');
      assert.equal(ledger?.entries.some((entry) => entry.step === 'promote'), false, 'never promoted');
    } finally {
      prometheus.bad.delete(id);
      await touch(dir, 'release-rollback');
      await terminateIfRunning(env, id);
    }
  });

  it('while rolling back: the rollback is retried within a heartbeat timeout of the crash', () => {
    assert.ok(rollbackCase, 'the previous case ran');
    const seconds = Math.round((rollbackCase.retriedAt - rollbackCase.crashedAt) / 1000);
    assert.ok(seconds <= 60, `the rollback was retried ${seconds} s after the worker died`);
  });
});
