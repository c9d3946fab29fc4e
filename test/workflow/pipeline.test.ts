import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { prToProduction } from '../../workflows/prToProduction.js';
import { approveSignal, pauseSignal, rejectSignal, revisionPushedSignal, statusQuery, type PipelineStatus } from '../../workflows/messages.js';
import type { Activities } from '../../activities/index.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { auditFromHistory } from '../../cli/audit/trail.js';
import { stopLockWorker, testWorker, until } from './harness.js';
import { cleanReview, failedWatch, fakeActivities, heldWatch, noFindings, passedWatch, prInput } from './fakes.js';

let env: TestWorkflowEnvironment;
before(async () => { env = await timeSkippingEnv(); });
after(async () => { await stopLockWorker(); await env?.teardown(); });

let counter = 0;
async function run<T>(
  activities: Activities,
  input: ReturnType<typeof prInput>,
  body: (handle: WorkflowHandle<typeof prToProduction>) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-${++counter}`;
  const worker = await testWorker(env, taskQueue, activities);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(prToProduction, { taskQueue, workflowId: `wf-${counter}`, args: [input] });
    try {
      return await body(handle);
    } catch (error) {
      // A run left open would stop the test server from skipping time for every later test.
      await handle.terminate('test failed').catch(() => undefined);
      throw error;
    }
  });
}


const schemaFindings = { ...noFindings, schemaChange: [{ file: 'migrations/002.sql', line: 1, rule: 'sql-ddl', excerpt: 'ALTER TABLE orders' }] };
const withSchemaChange = () => fakeActivities({
    async prepareChange() {
      return { diffSha256: 'a'.repeat(64), stats: { files: 1, binaryFiles: 0, additions: 2, deletions: 0, bytes: 80 }, findings: schemaFindings, heuristic: { score: 3, factors: [] }, paths: ['migrations/002.sql'] };
    },
});

describe('prToProduction on the time-skipping server', { timeout: 600_000 }, () => {
  it('deploys a clean PR after its 10-minute canary, with a verified decision chain', async () => {
    const { activities, calls } = fakeActivities();
    const result = await run(activities, prInput(), (handle) => handle.result());
    assert.equal(result.outcome, 'deployed');
    assert.deepEqual(result.gates, []);
    assert.equal(calls.promoteCanary?.length, 1);
    assert.equal(calls.rollbackCanary, undefined);
    assert.equal(calls.stopDeployment?.length, 1, 'deploy processes are stopped at the end');
    // One watch for the one 10-minute step, asked to keep its verdicts out of history.
    const [watch] = (calls.watchCanary ?? []).map(([input]) => input as { mode: string; sinceEpochMs: number; endsAtEpochMs: number; percent: number; verdictLog?: boolean });
    assert.equal(calls.watchCanary?.length, 1);
    assert.equal(watch?.mode, 'step');
    assert.equal(watch?.percent, 5);
    assert.equal(watch?.verdictLog, true);
    assert.equal((watch?.endsAtEpochMs ?? 0) - (watch?.sinceEpochMs ?? 0), 600_000);
    assert.ok(result.decisions >= 7);
    assert.equal(result.tokens.input, 50, 'tokens of the five fake agent decisions are summed');
  });

  it('seals one record per canary watch with its verdict log\'s hash and counts, not one per verdict', async () => {
    const { activities } = fakeActivities();
    const { records, chain } = await run(activities, prInput(), async (handle) => {
      await handle.result();
      return auditFromHistory(await handle.fetchHistory());
    });
    assert.ok(chain.ok, chain.problems.join('; '));
    const judged = records.filter((record) => record.stage === 'canary' && 'verdictLogSha256' in record.details);
    assert.equal(judged.length, 1);
    assert.equal(judged[0]?.decision, 'canary step 1 (5%) passed: 2 judgement(s) (2 pass)');
    assert.deepEqual(judged[0]?.details.verdicts, { pass: 2, fail: 0, inconclusive: 0 });
    assert.equal(judged[0]?.details.verdictLogSha256, 'd'.repeat(64));
    assert.equal(records.filter((record) => 'verdict' in record.details).length, 0, 'no record per verdict');
  });

  it('holds a schema change for a human and expires after 24 h, with reminders', async () => {
    const { activities, calls } = withSchemaChange();
    const result = await run(activities, prInput(), async (handle) => {
      const status = await until(handle, (s) => s.awaitingApproval);
      assert.deepEqual(status.gates, ['schema_change']);
      assert.match(status.approvalRequest?.reasons.join(' ') ?? '', /migrations\/002\.sql/);
      return handle.result();
    });
    assert.equal(result.outcome, 'expired');
    assert.equal(calls.startCanary, undefined, 'never deployed');
    const reminders = (calls.notify ?? []).filter(([n]) => (n as { event: string }).event === 'approval_reminder');
    assert.equal(reminders.length, 5, '24 h with a reminder every 4 h');
  });

  it('ignores an approval by the author and by someone outside the approvers list', async () => {
    const { activities, calls } = withSchemaChange();
    const input = prInput({ config: { approval: { approvers: ['carol'] } } });
    const result = await run(activities, input, async (handle) => {
      await until(handle, (s) => s.awaitingApproval);
      await handle.signal(approveSignal, { by: 'alice' });
      await handle.signal(approveSignal, { by: 'mallory', reason: 'lgtm' });
      await handle.signal(approveSignal, { by: '' });
      const status = await until(handle, (s) => s.approvals.length === 3);
      assert.equal(status.awaitingApproval, true, 'still waiting');
      assert.deepEqual(status.approvals.map((a) => a.accepted), [false, false, false]);
      assert.match(status.approvals[0]!.why, /author/);
      assert.match(status.approvals[1]!.why, /approvers list/);
      assert.match(status.approvals[2]!.why, /invalid approve payload/);
      await handle.signal(approveSignal, { by: 'carol', reason: 'migration reviewed' });
      return handle.result();
    });
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.approvedBy, 'carol');
    assert.equal(calls.promoteCanary?.length, 1);
  });

  it('ends rejected on a reject signal', async () => {
    const { activities, calls } = withSchemaChange();
    const result = await run(activities, prInput(), async (handle) => {
      await until(handle, (s) => s.awaitingApproval);
      await handle.signal(rejectSignal, { by: 'carol', reason: 'needs a backfill plan' });
      return handle.result();
    });
    assert.equal(result.outcome, 'rejected');
    assert.match(result.reason, /carol: needs a backfill plan/);
    assert.equal(calls.startCanary, undefined);
  });

  it('does not count an approval sent before any approval was requested', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const base = withSchemaChange();
    const { activities } = fakeActivities({
      ...pick(base.activities, 'prepareChange'),
      async runTests() { await gate; return fakeActivities().activities.runTests({} as never); },
    });
    const result = await run(activities, prInput(), async (handle) => {
      await until(handle, (s) => s.stage === 'tests');
      await handle.signal(approveSignal, { by: 'carol' });
      await until(handle, (s) => s.approvals.length === 1);
      release();
      const status = await until(handle, (s) => s.awaitingApproval);
      assert.equal(status.approvals[0]!.accepted, false);
      assert.match(status.approvals[0]!.why, /no approval is pending/);
      return handle.result();
    });
    assert.equal(result.outcome, 'expired');
  });

  it('restarts from review when a revision is pushed mid-stage, and deploys the new head only', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let firstTestRun = true;
    const { activities, calls } = fakeActivities({
      async runTests() {
        if (firstTestRun) { firstTestRun = false; await gate; }
        return fakeActivities().activities.runTests({} as never);
      },
    });
    const newHead = 'e'.repeat(40);
    const result = await run(activities, prInput(), async (handle) => {
      await until(handle, (s) => s.stage === 'tests');
      await handle.signal(revisionPushedSignal, { headSha: newHead });
      await until(handle, (s) => s.attempt === 2);
      release();
      return handle.result();
    });
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.headSha, newHead);
    const prepared = (calls.prepareChange ?? []).map(([input]) => (input as { headSha: string }).headSha);
    assert.deepEqual(prepared, ['d'.repeat(40), newHead]);
    const canaryHeads = (calls.startCanary ?? []).map(([input]) => (input as { headSha: string }).headSha);
    assert.deepEqual(canaryHeads, [newHead], 'nothing of the old head was deployed');
  });

  for (const step of ['prepareChange', 'notify'] as const) {
    it(`retries a ${step} step whose worker went silent at the 30-s heartbeat timeout, not at its 2-minute limit`, async () => {
      const scheduledAt: number[] = [];
      let releaseSilent = () => {};
      const silent = new Promise<void>((resolve) => { releaseSilent = resolve; });
      const healthy = fakeActivities().activities[step] as (...args: unknown[]) => Promise<unknown>;
      const { activities } = fakeActivities({
        async [step](...args: unknown[]) {
          scheduledAt.push(Context.current().info.currentAttemptScheduledTimestampMs);
          if (scheduledAt.length === 1) await silent; // a dead worker: no answer, no heartbeat
          else releaseSilent();
          return healthy(...args);
        },
      });
      const result = await run(activities, prInput(), (handle) => handle.result());
      assert.equal(result.outcome, 'deployed');
      assert.equal(scheduledAt.length, 2);
      const retriedAfterMs = scheduledAt[1]! - scheduledAt[0]!;
      assert.ok(retriedAfterMs >= 30_000 && retriedAfterMs < 60_000, `second attempt ${retriedAfterMs} ms after the first`);
    });
  }

  it('asks a human when an agent keeps failing after retries, and never deploys on its own', async () => {
    const { activities, calls } = fakeActivities({
      async reviewChange() { throw ApplicationFailure.nonRetryable('model unavailable', 'ModelError'); },
    });
    const result = await run(activities, prInput(), async (handle) => {
      const status = await until(handle, (s) => s.awaitingApproval);
      assert.ok(status.gates.includes('agent_failed'));
      return handle.result();
    });
    assert.equal(result.outcome, 'expired');
    assert.equal(calls.startCanary, undefined);
  });

  it('rolls back a failing canary at the first bad interval and writes an incident report with the judge\'s numbers', async () => {
    const { activities, calls } = fakeActivities({ async watchCanary() { return failedWatch(); } });
    const result = await run(activities, prInput(), (handle) => handle.result());
    assert.equal(result.outcome, 'rolled_back');
    assert.match(result.reason, /canary failed early at step 1 \(5%\)/);
    assert.equal(calls.watchCanary?.length, 1, 'rolled back at the first failed judgement, not after 10 minutes');
    const [incident] = (calls.writeIncidentReport?.[0] ?? []) as [{ judge?: { step: number; intervals: { verdict: string }[] } }];
    assert.equal(incident.judge?.step, 1);
    assert.deepEqual(incident.judge?.intervals.map((interval) => interval.verdict), ['fail']);
    assert.equal(calls.rollbackCanary?.length, 1);
    assert.equal(calls.promoteCanary, undefined);
    assert.equal(result.incidentReportSha256, 'c'.repeat(64));
    assert.equal(calls.stopDeployment?.length, 1);
  });

  it('fails closed when the canary never sees enough traffic to judge', async () => {
    const { activities, calls } = fakeActivities({
      async watchCanary() {
        return { ...passedWatch(), outcome: 'inconclusive' as const, reasons: ['only 3 canary request(s), need 20 to judge', 'the step ended without enough traffic to judge: fail closed'] };
      },
    });
    const result = await run(activities, prInput(), (handle) => handle.result());
    assert.equal(result.outcome, 'rolled_back');
    assert.match(result.reason, /inconclusive/);
    assert.equal(calls.promoteCanary, undefined);
  });

  it('ignores a verdict sent for another head than the one awaiting approval', async () => {
    const { activities } = withSchemaChange();
    const result = await run(activities, prInput(), async (handle) => {
      await until(handle, (s) => s.awaitingApproval);
      await handle.signal(approveSignal, { by: 'carol', headSha: 'e'.repeat(40) });
      const status = await until(handle, (s) => s.approvals.length === 1);
      assert.equal(status.approvals[0]!.accepted, false);
      assert.match(status.approvals[0]!.why, /sent for head eeeeeeeeeeee, but the run is now at head dddddddddddd/);
      assert.equal(status.approvalRequest?.headSha, 'd'.repeat(40));
      await handle.signal(approveSignal, { by: 'carol', headSha: 'd'.repeat(40) });
      return handle.result();
    });
    assert.equal(result.outcome, 'deployed');
  });

  it('counts only the first verdict: a reject right after an accepted approval is ignored, and says so', async () => {
    const { activities } = withSchemaChange();
    const result = await run(activities, prInput(), async (handle) => {
      await until(handle, (s) => s.awaitingApproval);
      await handle.signal(approveSignal, { by: 'carol', reason: 'ok' });
      await handle.signal(rejectSignal, { by: 'dave', reason: 'wait' });
      const status = await until(handle, (s) => s.approvals.length === 2);
      assert.equal(status.approvals[0]!.accepted, true);
      assert.equal(status.approvals[1]!.accepted, false);
      assert.match(status.approvals[1]!.why, /already decided \(approved by carol\)/);
      return handle.result();
    });
    assert.equal(result.outcome, 'deployed');
  });

  it('honours a revision that arrives before the first attempt runs (signal-with-start)', async () => {
    const { activities, calls } = fakeActivities();
    const newHead = 'f'.repeat(40);
    const taskQueue = `test-${++counter}`;
    const worker = await testWorker(env, taskQueue, activities);
    const input = prInput();
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart(prToProduction, {
        taskQueue, workflowId: `wf-${counter}`, args: [input], signal: revisionPushedSignal, signalArgs: [{ headSha: newHead }],
      });
      return handle.result();
    });
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.headSha, newHead);
    const canaryHeads = (calls.startCanary ?? []).map(([input]) => (input as { headSha: string }).headSha);
    assert.deepEqual(canaryHeads, [newHead]);
  });

  it('rolls back a canary paused past its window once the pause limit runs out, judged all the while', async () => {
    let releaseStep!: () => void;
    const stepGate = new Promise<void>((resolve) => { releaseStep = resolve; });
    const { activities, calls } = fakeActivities({
      async watchCanary(input) {
        if (input.mode === 'step') await stepGate;
        return input.mode === 'step' ? passedWatch() : heldWatch();
      },
    });
    const input = prInput({ config: { canary: { durationSeconds: 60, intervalSeconds: 10, maxPauseSeconds: 600 } } });
    const result = await run(activities, input, async (handle) => {
      await until(handle, (s) => s.stage === 'canary');
      await handle.signal(pauseSignal, { by: 'carol', reason: 'watching a dashboard' });
      await until(handle, (s) => s.paused);
      releaseStep();
      return handle.result();
    });
    assert.equal(result.outcome, 'rolled_back');
    assert.match(result.reason, /paused for longer than 600s/);
    assert.equal(calls.promoteCanary, undefined);
    const holds = (calls.watchCanary ?? []).filter(([watch]) => (watch as { mode: string }).mode === 'hold');
    assert.equal(holds.length, 20, 'judged in 30-second holds for the 600 s the pause may last');
  });

  it('ends failed, without staging or a deploy, when the PR\'s own tests fail', async () => {
    const passing = await fakeActivities().activities.runTests({} as never);
    const { activities, calls } = fakeActivities({
      async runTests() { return { ...passing, report: { ...passing.report, passed: false, exitCode: 1, summary: '`npm test` failed with exit code 1' } }; },
    });
    const result = await run(activities, prInput(), (handle) => handle.result());
    assert.equal(result.outcome, 'failed');
    assert.match(result.reason, /tests failed/);
    assert.equal(calls.deployStaging, undefined);
    assert.equal(calls.startCanary, undefined);
  });

  it('a model that scores the risk below the code\'s heuristic cannot lower it', async () => {
    const { activities } = fakeActivities({
      async prepareChange() {
        return { diffSha256: 'a'.repeat(64), stats: { files: 1, binaryFiles: 0, additions: 900, deletions: 0, bytes: 9000 }, findings: noFindings, heuristic: { score: 8, factors: [] }, paths: ['src/auth.ts'] };
      },
    });
    const result = await run(activities, prInput(), async (handle) => {
      const status = await until(handle, (s) => s.awaitingApproval);
      assert.equal(status.riskScore, 8);
      assert.ok(status.gates.includes('risk_threshold'));
      return handle.result();
    });
    assert.equal(result.outcome, 'expired');
  });

  it('escalates when the review agent is unsure or finds an API break, whatever its risk score', async () => {
    const { activities } = fakeActivities({
      async reviewChange() {
        return { review: { ...cleanReview, riskScore: 1, confidence: 'low' as const, apiBreakingChanges: [{ description: 'removed GET /v1/orders' }] }, decision: (await fakeActivities().activities.reviewChange({} as never)).decision };
      },
    });
    const result = await run(activities, prInput(), async (handle) => {
      const status = await until(handle, (s) => s.awaitingApproval);
      assert.ok(status.gates.includes('api_breaking'));
      assert.ok(status.gates.includes('agent_uncertain'));
      return handle.result();
    });
    assert.equal(result.outcome, 'expired');
  });
});

function pick<K extends keyof Activities>(activities: Activities, ...keys: K[]): Pick<Activities, K> {
  return Object.fromEntries(keys.map((key) => [key, activities[key]])) as Pick<Activities, K>;
}
