/**
 * `prpilot metrics` on a real dev server, over runs of the real prToProduction workflow whose outcomes
 * are known: the agents and the deploy target are the workflow tests' fakes (so each run takes seconds),
 * the server, the workflow, visibility and the CLI are real.
 *   3 deployed (one after a schema_change approval), 1 rolled back, 1 rejected (with `prpilot reject`),
 *   and 1 left waiting for approval (open).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import { deployLockActivities } from '../../activities/lock/index.js';
import type { DoraReport } from '../../cli/metrics/dora.js';
import { approveSignal, statusQuery, WORKFLOW_TYPE } from '../../workflows/messages.js';
import { prToProduction } from '../../workflows/prToProduction.js';
import { runCli } from '../helpers/cli.js';
import { quietRuntime, startTestDevServer, workflowBundle } from '../helpers/temporal.js';
import { failedWatch, failing, fakeActivities, noFindings, prInput } from '../workflow/fakes.js';

const schemaChange = (): Partial<Activities> => ({
  async prepareChange() {
    const findings = { ...noFindings, schemaChange: [{ file: 'migrations/002.sql', line: 1, rule: 'sql-ddl', excerpt: 'ALTER TABLE orders' }] };
    return { diffSha256: 'a'.repeat(64), stats: { files: 1, binaryFiles: 0, additions: 2, deletions: 0, bytes: 80 }, findings, heuristic: { score: 3, factors: [] }, paths: ['migrations/002.sql'] };
  },
});
const failingCanary = (): Partial<Activities> => ({
  async canaryStats() { return { canary: failing, stable: failing }; },
  async watchCanary() { return failedWatch(); },
});

/** Short windows, so a canary takes seconds on a real server. */
const fastInput = () => prInput({ config: { canary: { durationSeconds: 2, intervalSeconds: 1 }, approval: { timeoutSeconds: 3_600, reminderSeconds: 600 } } });

describe('prpilot metrics against a real dev server', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  let env: NodeJS.ProcessEnv;
  let openRun: WorkflowHandle | null = null;

  const startOn = (taskQueue: string, workflowId: string) =>
    client.workflow.start(prToProduction, { taskQueue, workflowId, args: [fastInput()] });

  const awaitingApproval = async (handle: WorkflowHandle) => {
    for (let i = 0; i < 240; i++) {
      const status = await handle.query(statusQuery).catch(() => null);
      if (status?.awaitingApproval) return;
      await sleep(250);
    }
    throw new Error(`${handle.workflowId} never waited for approval`);
  };

  before(async () => {
    quietRuntime();
    server = await startTestDevServer();
    env = { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' };
    nativeConnection = await NativeConnection.connect({ address: server.address });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    const bundle = await workflowBundle();
    for (const [taskQueue, overrides] of [['clean', {}], ['schema', schemaChange()], ['failing', failingCanary()]] as const) {
      // The deploy lock is real: its workflow and activities run on this server like in production.
      const activities = { ...fakeActivities(overrides).activities, ...deployLockActivities({ client, taskQueue }) };
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities });
      workers.push({ worker, running: worker.run() });
    }

    const deployedA = await startOn('clean', 'metrics-clean-1');
    const deployedB = await startOn('clean', 'metrics-clean-2');
    const rolledBack = await startOn('failing', 'metrics-bad-1');
    const approved = await startOn('schema', 'metrics-risky-approved');
    const rejected = await startOn('schema', 'metrics-risky-rejected');
    openRun = await startOn('schema', 'metrics-risky-open');

    await awaitingApproval(approved);
    await approved.signal(approveSignal, { by: 'carol', reason: 'migration reviewed' });
    await awaitingApproval(rejected);
    const reject = await runCli(['reject', rejected.workflowId, '--by', 'carol', '--reason', 'needs a backfill plan'], env);
    assert.equal(reject.code, 0, `${reject.stdout}\n${reject.stderr}`);
    await awaitingApproval(openRun);

    const outcomes = await Promise.all([deployedA, deployedB, rolledBack, approved, rejected].map((handle) => handle.result()));
    assert.deepEqual(outcomes.map((result) => result.outcome), ['deployed', 'deployed', 'rolled_back', 'deployed', 'rejected'], `the seeded runs end as planned: ${outcomes.map((result) => result.reason).join(' | ')}`);

    // Visibility is eventually consistent: wait (bounded) until it lists all five closed runs and the open one.
    for (let i = 0; ; i++) {
      const closed = await client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus != 'Running'`);
      const open = await client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`);
      if (closed.count === 5 && open.count === 1) break;
      if (i >= 120) throw new Error(`visibility shows ${closed.count} closed and ${open.count} open runs, expected 5 and 1`);
      await sleep(250);
    }
  });

  after(async () => {
    await openRun?.terminate('metrics test done').catch(() => undefined);
    for (const { worker } of workers) worker.shutdown();
    await Promise.allSettled(workers.map(({ running }) => running));
    await nativeConnection?.close();
    await connection?.close();
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
  });

  it('--json: outcome counts, change failure rate 1/4, gate rates, ordered lead times', async () => {
    const run = await runCli(['metrics', '--json', '--since', '1d'], env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as DoraReport;
    assert.deepEqual(report.outcomes, { deployed: 3, rolled_back: 1, rejected: 1, expired: 0, failed: 0 });
    assert.deepEqual(report.runs, { closed: 5, open: 1, skipped: 0 });
    assert.deepEqual(report.changeFailureRate, { rolledBack: 1, deployed: 3, rate: 0.25 });
    assert.deepEqual(report.deploymentFrequency, { deployed: 3, perDay: 3, perWeek: 21 });
    assert.equal(report.window.seconds, 86_400);

    assert.equal(report.leadTime.count, 3);
    const { medianSeconds, p90Seconds } = report.leadTime;
    assert.ok(medianSeconds !== null && p90Seconds !== null && medianSeconds > 0 && medianSeconds <= p90Seconds, JSON.stringify(report.leadTime));

    assert.equal(report.timeToRestore.count, 1, 'the rollback has a canary verdict to measure from');
    assert.equal(report.timeToRestore.unmeasured, 0);
    assert.ok((report.timeToRestore.medianSeconds ?? -1) >= 0);

    assert.deepEqual(report.escalation.byGate.schema_change, { count: 2, rate: 0.4 });
    assert.deepEqual(report.escalation.byGate.secret, { count: 0, rate: 0 });
    assert.deepEqual(report.escalation.humanApprovalRequired, { count: 2, rate: 0.4 });
    assert.equal(report.escalation.approvedByHuman, 1);
    assert.equal(report.series.bucket, 'hour');
    assert.equal(report.series.points.reduce((sum, point) => sum + point.deployed, 0), 3);
    assert.match(report.definitions.percentiles, /nearest-rank/);
  });

  it('--format md: a report with the trend chart and the figures', async () => {
    const run = await runCli(['metrics', '--format', 'md', '--since', '1d'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^# DORA metrics: last 1d/);
    assert.match(run.stdout, /Change failure rate \| \*\*25%\*\* \| 1 rolled back of 4/);
    assert.match(run.stdout, /Deployment frequency \| \*\*3 per day\*\*/);
    const chart = /deployments per hour\s+([·▁▂▃▄▅▆▇█]+)\s+max \d+, total 3/.exec(run.stdout);
    assert.ok(chart, run.stdout);
    assert.ok(chart[1]?.includes('█'), 'the busiest hour is drawn at full height');
    assert.match(run.stdout, /schema_change\s+█{8}░{12}\s+40% \(2 of 5\)/);
  });

  it('text: the four figures and the runs still open', async () => {
    const run = await runCli(['metrics', '--since', '1d'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /change failure rate\s+25% \(1 rolled back of 4/);
    assert.match(run.stdout, /deployment frequency\s+3\/day · 21\/week \(3 deployed\)/);
    assert.match(run.stdout, /1 still open/);
  });

  it('a bad --since is a usage error naming the flag', async () => {
    for (const since of ['0d', 'yesterday']) {
      const run = await runCli(['metrics', '--since', since], env);
      assert.equal(run.code, 2, since);
      assert.match(run.stderr, /--since must be .* \(got "/);
    }
  });
});
