/**
 * The canary's ramp, pause/resume and deploy lock, on the time-skipping server with the real
 * workflow, the real deploy lock workflow, and fakes of the deploy target and its metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { prToProduction } from '../../workflows/prToProduction.js';
import { pauseSignal, resumeSignal, revisionPushedSignal } from '../../workflows/messages.js';
import type { Activities } from '../../activities/index.js';
import { auditFromHistory } from '../../cli/audit/trail.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { stopLockWorker, testWorker, until } from './harness.js';
import { waitUntil } from '../faults/lib/wait.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { failedWatch, fakeActivities, heldWatch, passedWatch, prInput, STEP_REPORT } from './fakes.js';

let env: TestWorkflowEnvironment;
before(async () => { env = await timeSkippingEnv(); });
after(async () => { await stopLockWorker(); await env?.teardown(); });

let counter = 0;
const ramp = { steps: [{ percent: 5, durationSeconds: 120 }, { percent: 25, durationSeconds: 120 }, { percent: 50, durationSeconds: 60 }] };

interface WatchCall { mode: 'step' | 'hold'; percent: number; sinceEpochMs: number; endsAtEpochMs: number }

function watchCalls(calls: Record<string, unknown[][]>): WatchCall[] {
  return (calls.watchCanary ?? []).map(([input]) => input as WatchCall);
}

async function runPr<T>(activities: Activities, config: Record<string, unknown>, body: (handle: WorkflowHandle<typeof prToProduction>) => Promise<T>): Promise<T> {
  const taskQueue = `canary-${++counter}`;
  const worker = await testWorker(env, taskQueue, activities);
  const input = prInput({ config: { canary: config } });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(prToProduction, { taskQueue, workflowId: `canary-wf-${counter}`, args: [input] });
    try {
      return await body(handle);
    } catch (error) {
      await handle.terminate('test failed').catch(() => undefined);
      throw error;
    }
  });
}

describe('canary ramp, pause/resume and deploy lock', { timeout: 600_000 }, () => {
  it('walks every ramp step, each watched for its own duration, then promotes', async () => {
    const { activities, calls } = fakeActivities();
    const result = await runPr(activities, ramp, (handle) => handle.result());
    assert.equal(result.outcome, 'deployed');
    assert.deepEqual((calls.setCanaryWeight ?? []).map(([input]) => (input as { percent: number }).percent), [25, 50]);
    assert.deepEqual(watchCalls(calls).map((call) => [call.mode, call.percent, (call.endsAtEpochMs - call.sinceEpochMs) / 1000]), [
      ['step', 5, 120], ['step', 25, 120], ['step', 50, 60],
    ]);
    assert.equal(calls.promoteCanary?.length, 1);
    assert.equal((calls.startCanary?.[0]?.[0] as { percent: number }).percent, 5, 'the canary starts at the first step');
  });

  it('rolls back at the step that fails, without reaching the later steps or promotion', async () => {
    let watched = 0;
    const { activities, calls } = fakeActivities({
      async watchCanary() { return ++watched === 2 ? failedWatch() : passedWatch(); },
    });
    const result = await runPr(activities, ramp, (handle) => handle.result());
    assert.equal(result.outcome, 'rolled_back');
    assert.match(result.reason, /step 2 \(25%\)/);
    assert.deepEqual((calls.setCanaryWeight ?? []).map(([input]) => (input as { percent: number }).percent), [25]);
    assert.equal(calls.promoteCanary, undefined);
    assert.equal(calls.rollbackCanary?.length, 1);
    assert.equal(calls.stopDeployment?.length, 1);
  });

  it('rolls back a canary cancelled by a new revision before stopping it, records why, and deploys the new head', async () => {
    const events: string[] = [];
    let releaseOldWatch!: () => void;
    const oldWatch = new Promise<void>((resolve) => { releaseOldWatch = resolve; });
    const { activities, calls } = fakeActivities({
      async watchCanary(input) {
        if (input.deploymentId.endsWith('-r1')) await oldWatch; // the old head's canary is mid-judgement
        return passedWatch();
      },
      async rollbackCanary(input) { events.push(`rollback ${input.deploymentId}`); return { ...STEP_REPORT, stableHealthy: true }; },
      async promoteCanary(input) { events.push(`promote ${input.deploymentId}`); return STEP_REPORT; },
      async stopDeployment(input) { events.push(`stop ${input.deploymentId}`); },
    });
    const newHead = 'e'.repeat(40);
    const { result, history, workflowId } = await runPr(activities, ramp, async (handle) => {
      for (let i = 0; i < 400 && !calls.watchCanary; i++) await sleep(50);
      assert.ok(calls.watchCanary, 'the old head\'s canary was never watched');
      await handle.signal(revisionPushedSignal, { headSha: newHead });
      await until(handle, (s) => s.attempt === 2);
      const done = await handle.result();
      releaseOldWatch();
      return { result: done, history: await handle.fetchHistory(), workflowId: handle.workflowId };
    });
    assert.equal(result.outcome, 'deployed', result.reason);
    assert.equal(result.headSha, newHead);
    assert.deepEqual(events, [`rollback ${workflowId}-r1`, `stop ${workflowId}-r1`, `promote ${workflowId}-r2`, `stop ${workflowId}-r2`]);
    const records = auditFromHistory(history);
    assert.ok(records.chain.ok, records.chain.problems.join('; '));
    const rollbacks = records.records.filter((record) => record.stage === 'rolling_back');
    assert.deepEqual(rollbacks.map((record) => record.decision), [`canary rolled back: revision ${newHead.slice(0, 12)} was pushed`]);
  });

  it("starts a new head's canary only once the old head's canary has stopped, however long that takes", async () => {
    const events: string[] = [];
    const { activities, calls } = fakeActivities({
      async startCanary(input) {
        events.push(`start ${input.deploymentId}`);
        return { url: null, startedAtEpochMs: Date.now(), report: STEP_REPORT };
      },
      async watchCanary(input) {
        // The old head's canary is mid-judgement until it is cancelled (no heartbeat: the cancel is not delivered).
        if (input.deploymentId.endsWith('-r1')) await sleep(5_000);
        return passedWatch();
      },
      async stopDeployment(input) {
        events.push(`stop ${input.deploymentId} begins`);
        if (input.deploymentId.endsWith('-r1')) await sleep(2_000); // while the new head goes through review, tests, staging
        events.push(`stop ${input.deploymentId} ends`);
      },
    });
    const newHead = 'e'.repeat(40);
    const { result, workflowId } = await runPr(activities, ramp, async (handle) => {
      await waitUntil("the old head's canary to be watched", () => calls.watchCanary, { timeoutMs: 20_000, everyMs: 50 });
      await handle.signal(revisionPushedSignal, { headSha: newHead });
      return { result: await handle.result(), workflowId: handle.workflowId };
    });
    assert.equal(result.outcome, 'deployed', result.reason);
    assert.equal(result.headSha, newHead);
    assert.deepEqual(events, [
      `start ${workflowId}-r1`, `stop ${workflowId}-r1 begins`, `stop ${workflowId}-r1 ends`, `start ${workflowId}-r2`,
      `stop ${workflowId}-r2 begins`, `stop ${workflowId}-r2 ends`,
    ]);
  });

  it('holds a paused canary between steps, judging it, and continues when resumed; both are in the audit', async () => {
    let releaseStep!: () => void;
    const stepGate = new Promise<void>((resolve) => { releaseStep = resolve; });
    let holds = 0;
    let handleRef: WorkflowHandle | null = null;
    const { activities, calls } = fakeActivities({
      async watchCanary(input) {
        if (input.mode === 'step' && watchCalls(calls).length === 1) await stepGate;
        // Delivered before this hold completes, so the workflow sees the resume when the hold ends.
        if (input.mode === 'hold' && ++holds === 3) await handleRef?.signal(resumeSignal, { by: 'carol' });
        return input.mode === 'step' ? passedWatch() : heldWatch();
      },
    });
    const { result, history } = await runPr(activities, ramp, async (handle) => {
      handleRef = handle;
      await until(handle, (s) => s.stage === 'canary');
      await handle.signal(pauseSignal, { by: 'carol', reason: 'checking a dashboard' });
      await until(handle, (s) => s.paused);
      releaseStep();
      const done = await handle.result();
      return { result: done, history: await handle.fetchHistory() };
    });
    assert.equal(result.outcome, 'deployed');
    const modes = watchCalls(calls).map((call) => `${call.mode}@${call.percent}`);
    assert.deepEqual(modes.slice(0, 4), ['step@5', 'hold@5', 'hold@5', 'hold@5'], 'held after step 1 until resumed');
    assert.deepEqual(modes.slice(4), ['step@25', 'step@50']);
    const records = auditFromHistory(history);
    assert.ok(records.chain.ok, records.chain.problems.join('; '));
    const decisions = records.records.map((record) => record.decision);
    assert.ok(decisions.includes('canary paused by carol'), decisions.join('\n'));
    assert.ok(decisions.includes('canary resumed by carol'), decisions.join('\n'));
    // Every verdict is its own record: 2 per step watch, 1 per hold.
    assert.equal(decisions.filter((decision) => /judgement.*: pass$/.test(decision)).length, 2 * 3 + 3);
  });

  it('tells the team the outcome while the deployment stops; a stop that fails is sealed after the outcome, which stands', async () => {
    const events: string[] = [];
    let notified!: () => void;
    const teamNotified = new Promise<void>((resolve) => { notified = resolve; });
    const { activities } = fakeActivities({
      async notify(input) { events.push(`notify ${input.event}`); notified(); },
      async stopDeployment(input) {
        events.push(`stop ${input.deploymentId} begins`);
        await Promise.race([teamNotified, sleep(10_000)]);
        events.push(`stop ${input.deploymentId} fails`);
        throw ApplicationFailure.nonRetryable('the stop script exited 1', 'DeployError');
      },
    });
    const { result, history, workflowId } = await runPr(activities, ramp, async (handle) => ({
      result: await handle.result(), history: await handle.fetchHistory(), workflowId: handle.workflowId,
    }));
    assert.equal(result.outcome, 'deployed', 'a promoted canary stays deployed when its teardown fails');
    // Both start in the same workflow task, in either order; the team hears before the stop ends.
    assert.deepEqual(events.slice(0, 2).sort(), ['notify deployed', `stop ${workflowId}-r1 begins`]);
    assert.deepEqual(events.slice(2), [`stop ${workflowId}-r1 fails`]);
    const records = auditFromHistory(history);
    assert.ok(records.chain.ok, records.chain.problems.join('; '));
    assert.deepEqual(records.records.slice(-2).map((record) => [record.stage, record.decision]), [
      ['done', 'outcome: deployed'], ['done', `deployment ${workflowId}-r1 not stopped`],
    ]);
    assert.match(records.records.at(-1)?.rationale ?? '', /the stop script exited 1/);
    assert.equal(result.decisions, records.records.length, 'the result counts the teardown record too');
  });

  it('gives the deploy lock to one PR of a service at a time, in order', async () => {
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const { activities } = fakeActivities({
      async startCanary(input) {
        events.push(`start ${input.deploymentId}`);
        return { url: null, startedAtEpochMs: Date.now(), report: { outputSha256: null, alreadyDone: false } };
      },
      async watchCanary(input) {
        if (input.deploymentId.startsWith('lock-a')) await firstGate;
        return passedWatch();
      },
      async stopDeployment(input) { events.push(`stop ${input.deploymentId}`); },
    });
    const taskQueue = `canary-${++counter}`;
    const worker = await testWorker(env, taskQueue, activities);
    await worker.runUntil(async () => {
      const shared = { service: { name: `shared-${process.pid}`, start: ['node', 'server.js'] } };
      const start = (id: string) => env.client.workflow.start(prToProduction, { taskQueue, workflowId: id, args: [prInput({ config: shared })] });
      const first = await start('lock-a');
      await until(first, (s) => s.stage === 'canary');
      const second = await start('lock-b');
      const waiting = await until(second, (s) => s.stage === 'waiting_for_lock');
      assert.equal(waiting.stage, 'waiting_for_lock');
      assert.deepEqual(events, ['start lock-a-r1'], 'the second PR does not start its canary while the first holds the lock');
      releaseFirst();
      assert.equal((await first.result()).outcome, 'deployed');
      assert.equal((await second.result()).outcome, 'deployed');
    });
    assert.deepEqual(events, ['start lock-a-r1', 'stop lock-a-r1', 'start lock-b-r1', 'stop lock-b-r1']);
  });
});
