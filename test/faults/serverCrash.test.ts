/**
 * The Temporal dev server is SIGKILLed in the middle of a canary and started again on its persisted
 * SQLite file, at the same address. The worker (and its canary's processes) keep running meanwhile; the
 * run must come back from the database and end as it would have: deployed, promoted once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpCall } from '../../targets/local/http.js';
import { ADMIN_PREFIX, statsResponseSchema } from '../../targets/local/types.js';
import { faultConfig, writeConfig } from './lib/config.js';
import { localPromotions, localProcessStarts } from './lib/deployCalls.js';
import { caseDir, localState } from './lib/files.js';
import { setUpFaultEnv, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';
import { waitUntil } from './lib/wait.js';

describe('Temporal dev server SIGKILLed mid-canary, restarted on its database', { timeout: 900_000 }, () => {
  let env: FaultEnv;
  before(async () => {
    env = await setUpFaultEnv();
    await env.worker.start();
  });
  after(async () => {
    await env?.dispose();
  });

  /** Requests the canary's proxy has recorded since `since` (both versions). */
  const proxiedSince = async (deploymentId: string, since: number): Promise<number> => {
    const port = localState(env.home, deploymentId)?.processes.proxy?.port;
    if (!port) return 0;
    const reply = await httpCall(`http://127.0.0.1:${port}${ADMIN_PREFIX}stats?since=${since}`, { timeoutMs: 2_000 });
    if (reply.status !== 200) return 0;
    const { versions } = statsResponseSchema.parse(JSON.parse(reply.body));
    return versions.stable.requests + (versions.canary?.requests ?? 0);
  };

  it('the run continues from the database: deployed, the canary started and promoted once, no approval invented', async () => {
    const dir = await caseDir(env.home, 'server');
    const config = await writeConfig(dir, 'server', faultConfig({ canary: { durationSeconds: 30, intervalSeconds: 3, percent: 20, requestsPerSecond: 50, minRequests: 20 } }));
    const id = await env.start({ head: 'pr/clean', pr: 1, config });
    const deployment = `${id}-r1`;
    try {
      await env.waitForStage(id, 'canary');
      await waitUntil('the canary to be started and watched', async () => (await activityRuns(env.handle(id), 'startCanary')).some((run) => run.ended === 'completed'), { everyMs: 200, context: env.diagnostics });
      const serverPid = env.server.pid();
      await env.server.kill();
      const downAt = Date.now();
      // The outage lasts while the canary keeps serving real traffic: its worker and processes are not affected.
      await waitUntil('the canary to serve 150 requests with the server down', async () => (await proxiedSince(deployment, downAt)) >= 150, { timeoutMs: 60_000 });
      await env.server.restart();
      assert.notEqual(env.server.pid(), serverPid);

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.approvedBy, null);
      assert.deepEqual(result.gates, []);
      assert.equal(await localProcessStarts(env.home, deployment, 'canary'), 1);
      assert.equal(await localPromotions(env.home, deployment), 1);
      const history = await activityRuns(env.handle(id));
      assert.deepEqual(history.filter((run) => run.type === 'promoteCanary').map((run) => run.ended), ['completed']);
      assert.equal(history.filter((run) => run.type === 'startCanary').length, 1);

      const audit = await env.cli(['audit', id, '--format', 'json']);
      assert.equal(audit.code, 0, audit.stderr);
      const trail = JSON.parse(audit.stdout) as { chain: { ok: boolean }; records: { decision: string }[] };
      assert.equal(trail.chain.ok, true, 'the audit chain survived the outage');
      assert.equal(trail.records.filter((record) => /canary promoted/.test(record.decision)).length, 1);
      assert.equal(trail.records.filter((record) => /^approve /.test(record.decision)).length, 0, 'no approval appears from nowhere');
    } finally {
      await terminateIfRunning(env, id);
    }
  });
});
