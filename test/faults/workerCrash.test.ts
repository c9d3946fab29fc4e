/**
 * The worker is SIGKILLed in the middle of a stage, then a new `prpilot worker` starts on the same
 * PRPILOT_HOME (what systemd or an operator does after a crash). Local deploy target, offline agents.
 * Each case ends with the same checks: the run reaches the right end, nothing was deployed twice, no
 * approval was invented, and (at the end of the file) no process of the home is left.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { approveSignal } from '../../workflows/messages.js';
import { pidAlive, waitAllDead } from '../helpers/processes.js';
import { faultConfig, TESTS_SCRIPT, writeConfig } from './lib/config.js';
import { localPromotions, localProcessStarts } from './lib/deployCalls.js';
import { caseDir, lines, localState, touch } from './lib/files.js';
import { setUpFaultEnv, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';
import { waitUntil } from './lib/wait.js';

describe('worker SIGKILLed mid-stage, then restarted (local target)', { timeout: 1_800_000 }, () => {
  let env: FaultEnv;
  before(async () => {
    env = await setUpFaultEnv();
    await env.worker.start();
  });
  after(async () => {
    await env?.dispose();
  });

  /** The new worker's own output (after the last restart). */
  const latestWorkerLog = () => env.worker.log().split(/\n--- worker \d+ /).at(-1) ?? '';

  /** Deployed exactly once: one canary started, one promotion, no approval, no gate. */
  async function assertDeployedOnce(workflowId: string): Promise<void> {
    const result = await env.result(workflowId);
    assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
    assert.equal(result.approvedBy, null, 'no approval was asked for, so none may appear');
    assert.deepEqual(result.gates, []);
    const deployment = `${workflowId}-r1`;
    assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 1, 'the canary version was started once');
    assert.equal(await localPromotions(env.home, deployment), 1, 'the canary was promoted once');
    const promotes = await activityRuns(env.handle(workflowId), 'promoteCanary');
    assert.deepEqual(promotes.map((run) => [run.ended, run.attempt]), [['completed', 1]]);
  }

  let testsCase: { dir: string; firstRunPid: number } | null = null;

  it('during tests: the test run is retried on the new worker (after the heartbeat timeout) and the PR deploys', async () => {
    const dir = await caseDir(env.home, 'tests');
    await touch(dir, 'hang-tests');
    const config = await writeConfig(dir, 'tests', faultConfig({ tests: { command: ['sh', TESTS_SCRIPT, dir], timeoutSeconds: 300 } }));
    const id = await env.start({ head: 'pr/clean', pr: 1, config });
    try {
      await env.waitForStage(id, 'tests');
      const [first] = await waitUntil('the test command to start', async () => {
        const runs = await lines(path.join(dir, 'test-runs'));
        return runs.length > 0 ? runs : null;
      });
      testsCase = { dir, firstRunPid: Number(first) };
      await env.worker.crash();
      await env.worker.start();

      await assertDeployedOnce(id);
      assert.equal((await lines(path.join(dir, 'test-runs'))).length, 2, 'the test command ran again, once, on the new worker');
      const testRuns = await activityRuns(env.handle(id), 'runTests');
      assert.equal(testRuns.length, 1);
      assert.equal(testRuns[0]?.attempt, 2);
      assert.match(testRuns[0]?.lastFailure ?? '', /heartbeat/i, 'the first attempt was given up by its heartbeat timeout');
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  // The command's group leader (activities/process/groupLeader.mjs) stops it when its worker dies.
  it('during tests: the dead worker\'s test command does not keep running', async () => {
    assert.ok(testsCase, 'the previous case ran');
    try {
      assert.equal(pidAlive(testsCase.firstRunPid), false, `the crashed worker's test run (pid ${testsCase.firstRunPid}) is still running after its PR was deployed`);
    } finally {
      await touch(testsCase.dir, 'release-tests');
      assert.deepEqual(await waitAllDead([testsCase.firstRunPid], 10_000), []);
    }
  });

  it('during staging: the new worker reaps the staging processes and a fresh staging attempt deploys the PR', async () => {
    const dir = await caseDir(env.home, 'staging');
    const config = await writeConfig(dir, 'staging', faultConfig({ staging: { perfWindowSeconds: 8, requestsPerSecond: 40, p99RegressionFloorMs: 150 } }));
    const id = await env.start({ head: 'pr/clean', pr: 2, config });
    try {
      await env.waitForStage(id, 'staging');
      const stagingId = `${id}-r1-staging-a1`;
      const measuring = await waitUntil('staging to be under load', () => {
        const state = localState(env.home, stagingId);
        return state?.processes.measure ? state : null;
      }, { everyMs: 100, context: env.diagnostics });
      const stagingPids = Object.values(measuring.processes).map((record) => record.pid);
      await env.worker.crash();
      assert.ok(stagingPids.some(pidAlive), 'the staging processes outlive the crashed worker until someone reaps them');
      await env.worker.start();
      assert.match(latestWorkerLog(), new RegExp(`stopped processes left by a crashed worker: .*${stagingId}`));
      assert.deepEqual(await waitAllDead(stagingPids, 10_000), [], 'reaped at the new worker\'s start');

      await assertDeployedOnce(id);
      const staging = await activityRuns(env.handle(id), 'deployStaging');
      assert.deepEqual(staging.map((run) => [run.ended, run.attempt]), [['completed', 2]]);
      assert.match(staging[0]?.lastFailure ?? '', /heartbeat/i);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('while awaiting approval: approvals sent while no worker runs are ruled on by the new worker; the author\'s is ignored', async () => {
    const dir = await caseDir(env.home, 'approval');
    const config = await writeConfig(dir, 'approval', faultConfig({ review: { riskThreshold: 1 } }));
    const id = await env.start({ head: 'pr/clean', pr: 3, config, author: 'alice' });
    try {
      const waiting = await env.waitForStatus(id, 'awaiting approval', (status) => status.awaitingApproval);
      assert.deepEqual(waiting.gates, ['risk_threshold']);
      await env.worker.crash();
      // What `temporal workflow signal` does: the server accepts them with no worker running.
      await env.handle(id).signal(approveSignal, { by: 'alice', reason: 'my own change' });
      await env.handle(id).signal(approveSignal, { by: 'dave', reason: 'reviewed' });
      assert.equal(await env.stage(id), 'awaiting_approval', 'nothing decides while no worker runs');
      await env.worker.start();

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, 'dave');
      const status = await env.status(id);
      assert.deepEqual(status.approvals.map((attempt) => [attempt.by, attempt.accepted]), [['alice', false], ['dave', true]], 'exactly the two approvals sent, ruled on');
      const deployment = `${id}-r1`;
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 1);
      assert.equal(await localPromotions(env.home, deployment), 1);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('while the canary starts: the new worker reaps the half-started canary and starts it afresh; judged in full, promoted once', async () => {
    const dir = await caseDir(env.home, 'canary-start');
    const config = await writeConfig(dir, 'canary-start', faultConfig());
    // pr/slow-start listens 4 s after it starts in production: the canary activity is mid-start for that long.
    const id = await env.start({ head: 'pr/slow-start', pr: 4, config });
    const deployment = `${id}-r1`;
    try {
      await env.waitForStage(id, 'canary');
      const starting = await waitUntil('the canary version to be starting', () => {
        const state = localState(env.home, deployment);
        return state?.processes.canary && !state.processes.proxy ? state : null;
      }, { everyMs: 50, context: env.diagnostics });
      const pids = Object.values(starting.processes).map((record) => record.pid);
      await env.worker.crash();
      await env.worker.start();
      assert.match(latestWorkerLog(), new RegExp(`stopped processes left by a crashed worker: .*${deployment}`));
      assert.deepEqual(await waitAllDead(pids, 10_000), []);

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 2, 'started again under the same deployment id after the reap');
      assert.equal(await localPromotions(env.home, deployment), 1, 'promoted once');
      const history = await activityRuns(env.handle(id));
      const starts = history.filter((run) => run.type === 'startCanary');
      assert.deepEqual(starts.map((run) => [run.ended, run.attempt]), [['completed', 2]]);
      assert.match(starts[0]?.lastFailure ?? '', /heartbeat/i);
      assert.deepEqual(history.filter((run) => run.type === 'promoteCanary').map((run) => [run.ended, run.attempt]), [['completed', 1]]);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('while the canary is judged: the new worker reaps the dead worker\'s canary, which then fails closed (rolled back, never promoted)', async () => {
    const dir = await caseDir(env.home, 'canary');
    const config = await writeConfig(dir, 'canary', faultConfig({ canary: { durationSeconds: 40, intervalSeconds: 3, percent: 20, requestsPerSecond: 50, minRequests: 20 } }));
    const id = await env.start({ head: 'pr/clean', pr: 5, config });
    const deployment = `${id}-r1`;
    try {
      await env.waitForStage(id, 'canary');
      await waitUntil('the canary to be started and watched', async () => {
        const starts = await activityRuns(env.handle(id), 'startCanary');
        return starts.some((run) => run.ended === 'completed');
      }, { everyMs: 200, context: env.diagnostics });
      const running = localState(env.home, deployment);
      assert.ok(running?.processes.loadgen, 'the canary takes traffic');
      const pids = Object.values(running.processes).map((record) => record.pid);
      await env.worker.crash();
      await env.worker.start();
      assert.match(latestWorkerLog(), new RegExp(`stopped processes left by a crashed worker: .*${deployment}`));
      assert.deepEqual(await waitAllDead(pids, 10_000), [], 'the dead worker\'s canary processes are stopped');

      const result = await env.result(id);
      assert.equal(result.outcome, 'failed', `${result.reason}\n${env.diagnostics()}`);
      assert.match(result.reason, /canary could not be completed, rolled back/);
      assert.equal(result.approvedBy, null);
      assert.equal(await localPromotions(env.home, deployment), 0, 'never promoted');
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 1, 'the canary was not started again');
      const history = await activityRuns(env.handle(id));
      assert.equal(history.filter((run) => run.type === 'promoteCanary').length, 0);
      assert.equal(history.filter((run) => run.type === 'rollbackCanary' && run.ended === 'completed').length, 1);
    } finally {
      await terminateIfRunning(env, id);
    }
  });
});
