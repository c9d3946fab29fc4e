/**
 * Faults of the deploy target itself, with a healthy worker and server: the canary's process dies
 * mid-canary, the canary version never becomes healthy, and (command target) the rollback script
 * fails once. None of them may end in a promotion.
 *
 * The proxy's and the services' ports are not configurable (each process binds a free port the moment
 * it starts, and a service that loses its port to a race is started again on another), so "the port
 * is taken" cannot be arranged from outside; the closest fault, a version that never answers health,
 * is tested instead.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLedger } from '../../targets/command/ledger.js';
import { waitAllDead } from '../helpers/processes.js';
import { commandTargetSections, faultConfig, writeConfig } from './lib/config.js';
import { invocationEndings, localPromotions, localProcessStarts, stepCounts } from './lib/deployCalls.js';
import { caseDir, localState, touch } from './lib/files.js';
import { setUpCanaryFaultSuite, tearDownCanaryFaultSuite, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';
import type { PrometheusStub } from './lib/prometheusStub.js';
import { waitUntil } from './lib/wait.js';

describe('deploy target faults', { timeout: 1_200_000 }, () => {
  let env: FaultEnv;
  let prometheus: PrometheusStub;
  before(async () => ({ env, prometheus } = await setUpCanaryFaultSuite()));
  after(() => tearDownCanaryFaultSuite({ env, prometheus }));

  it('the canary process crashes mid-canary: its errors fail the judge, rolled back, never promoted', async () => {
    const dir = await caseDir(env.home, 'canary-crash');
    const config = await writeConfig(dir, 'canary-crash', faultConfig({ canary: { durationSeconds: 40, intervalSeconds: 3, percent: 20, requestsPerSecond: 50, minRequests: 20 } }));
    const id = await env.start({ head: 'pr/clean', pr: 1, config });
    const deployment = `${id}-r1`;
    try {
      await env.waitForStage(id, 'canary');
      await waitUntil('the canary to be started and watched', async () => (await activityRuns(env.handle(id), 'startCanary')).some((run) => run.ended === 'completed'), { everyMs: 200, context: env.diagnostics });
      const canaryPid = localState(env.home, deployment)?.processes.canary?.pid;
      assert.ok(canaryPid, 'the state file names the canary process');
      process.kill(-canaryPid, 'SIGKILL');
      assert.deepEqual(await waitAllDead([canaryPid]), []);

      const result = await env.result(id);
      assert.equal(result.outcome, 'rolled_back', `${result.reason}\n${env.diagnostics()}`);
      assert.match(result.reason, /canary failed/);
      assert.ok(result.incidentReportSha256, 'an incident report was written');
      assert.equal(result.approvedBy, null);
      assert.equal(await localPromotions(env.home, deployment), 0, 'never promoted');
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 1, 'the dead canary was not restarted');
      const history = await activityRuns(env.handle(id));
      assert.equal(history.filter((run) => run.type === 'promoteCanary').length, 0);
      assert.deepEqual(history.filter((run) => run.type === 'rollbackCanary').map((run) => run.ended), ['completed']);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('the canary version never answers health: start_timeout on every attempt, fails closed, nothing takes traffic', async () => {
    const dir = await caseDir(env.home, 'unhealthy');
    const config = await writeConfig(dir, 'unhealthy', faultConfig({ service: { startTimeoutSeconds: 3 } }));
    // pr/unhealthy answers /health with 503 in production only: staging passes, the canary cannot start.
    const id = await env.start({ head: 'pr/unhealthy', pr: 2, config });
    const deployment = `${id}-r1`;
    try {
      const result = await env.result(id);
      assert.equal(result.outcome, 'failed', `${result.reason}\n${env.diagnostics()}`);
      assert.match(result.reason, /canary could not be completed, rolled back: .*did not answer GET \/health with 200 within 3 s/s);
      assert.equal(result.approvedBy, null);
      const starts = await activityRuns(env.handle(id), 'startCanary');
      assert.deepEqual(starts.map((run) => [run.ended, run.attempt]), [['failed', 3]], 'the deploy retry policy: three attempts');
      assert.match(starts[0]?.lastFailure ?? '', /start_timeout|did not answer/);
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 3, 'one canary start per attempt');
      assert.equal(await localProcessStarts(env.home, deployment, 'proxy'), 0, 'no proxy, so no traffic ever reached it');
      assert.equal(await localPromotions(env.home, deployment), 0);
      assert.equal(localState(env.home, deployment), null, 'nothing of it is left running');
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  it('the rollback script fails once (command target): retried with the same idempotency key, then rolled back; the failure is on record', async () => {
    const dir = await caseDir(env.home, 'rollback-flaky');
    await touch(dir, 'fail-once-rollback');
    const sections = commandTargetSections(dir, prometheus.url);
    const config = await writeConfig(dir, 'rollback-flaky', faultConfig(sections));
    const id = await env.start({ head: 'pr/clean', pr: 3, config });
    prometheus.bad.add(id);
    const deployment = `${id}-r1`;
    try {
      const result = await env.result(id);
      assert.equal(result.outcome, 'rolled_back', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      const endings = await invocationEndings(dir, 'rollback', id);
      assert.deepEqual(endings.map((entry) => [entry.key, entry.ending]), [[`${deployment}:rollback`, 'fail'], [`${deployment}:rollback`, 'end']]);
      assert.deepEqual(await stepCounts(dir, id), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        rollback: { started: 2, ended: 1, failed: 1 },
        stop: { started: 1, ended: 1, failed: 0 },
      });
      // The failed attempt: in the history (the retried attempt's last failure) with its captured output.
      const rollbacks = await activityRuns(env.handle(id), 'rollbackCanary');
      assert.deepEqual(rollbacks.map((run) => [run.ended, run.attempt]), [['completed', 2]]);
      const failure = rollbacks[0]?.lastFailure ?? '';
      assert.match(failure, new RegExp(`rollback \\(key ${deployment}:rollback\\) failed: .* exited with code 1`));
      const outputSha = /output sha256 ([0-9a-f]{64})/.exec(failure)?.[1];
      assert.ok(outputSha && existsSync(path.join(env.home, 'artifacts', outputSha.slice(0, 2), outputSha)), 'the failed run\'s output is in the artifact store');
      const ledger = await readLedger(path.join(env.home, 'command-deployments'), deployment);
      const rollback = ledger?.entries.find((entry) => entry.step === 'rollback');
      assert.deepEqual([rollback?.status, rollback?.attempts], ['completed', 2]);
      assert.equal(ledger?.entries.some((entry) => entry.step === 'promote'), false, 'never promoted');
    } finally {
      prometheus.bad.delete(id);
      await terminateIfRunning(env, id);
    }
  });
});
