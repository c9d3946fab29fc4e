/**
 * Races around one service, on the `command` target (every deploy step counted by step.sh):
 * two PRs at once (the deploy lock lets one canary run at a time), the same PR started twice at once
 * (one workflow), and a revision pushed while the canary runs (the old head's canary is rolled back and
 * stopped, the new head is reviewed again, and nothing of the old head is promoted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandTargetSections, faultConfig, writeConfig } from './lib/config.js';
import { invocations, stepCounts, stepEvents, type StepEvent } from './lib/deployCalls.js';
import { caseDir } from './lib/files.js';
import { setUpCanaryFaultSuite, tearDownCanaryFaultSuite, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';
import type { PrometheusStub } from './lib/prometheusStub.js';
import { waitUntil } from './lib/wait.js';

describe('concurrent PRs and revisions (command target)', { timeout: 1_200_000 }, () => {
  let env: FaultEnv;
  let prometheus: PrometheusStub;
  before(async () => ({ env, prometheus } = await setUpCanaryFaultSuite()));
  after(() => tearDownCanaryFaultSuite({ env, prometheus }));

  /** From the first deploy-canary start to the end of the stop, per deployment id. */
  const canarySpans = (events: StepEvent[]): Map<string, { from: number; to: number }> => {
    const spans = new Map<string, { from: number; to: number }>();
    for (const event of events) {
      const span = spans.get(event.deploymentId) ?? { from: Infinity, to: -Infinity };
      if (event.step === 'deploy-canary' && event.event === 'start') span.from = Math.min(span.from, event.at);
      if (event.step === 'stop' && event.event === 'end') span.to = Math.max(span.to, event.at);
      spans.set(event.deploymentId, span);
    }
    return spans;
  };

  it('two PRs of one service at once, one of them started twice: one workflow per PR, one canary at a time, each deployed once', async () => {
    const dir = await caseDir(env.home, 'lock');
    const config = await writeConfig(dir, 'lock', faultConfig(commandTargetSections(dir, prometheus.url)));
    const [first, again, other] = await Promise.all([
      env.startRun({ head: 'pr/clean', pr: 11, config }),
      env.startRun({ head: 'pr/clean', pr: 11, config }),
      env.startRun({ head: 'pr/clean', pr: 12, config }),
    ]);
    try {
      assert.equal(again.workflowId, first.workflowId);
      assert.equal(again.runId, first.runId, 'the second start returned the running workflow');
      let sawWaiting = false;
      let sawTwoCanaries = false;
      await waitUntil('both PRs to end', async () => {
        const stages = await Promise.all([env.stage(first.workflowId), env.stage(other.workflowId)]);
        if (stages.every((stage) => stage === 'canary')) sawTwoCanaries = true;
        if (stages.includes('waiting_for_lock') && stages.includes('canary')) sawWaiting = true;
        return stages.every((stage) => stage === 'done');
      }, { timeoutMs: 400_000, everyMs: 200, context: env.diagnostics });
      assert.equal(sawTwoCanaries, false, 'two canaries of one service at once');
      assert.ok(sawWaiting, 'one PR waited for the deploy lock while the other was in its canary');

      for (const { workflowId } of [first, other]) {
        const result = await env.result(workflowId);
        assert.equal(result.outcome, 'deployed', `${workflowId}: ${result.reason}`);
        assert.equal(result.approvedBy, null);
        assert.deepEqual(await stepCounts(dir, workflowId), {
          'deploy-canary': { started: 1, ended: 1, failed: 0 },
          promote: { started: 1, ended: 1, failed: 0 },
          stop: { started: 1, ended: 1, failed: 0 },
        });
      }
      const executions = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${first.workflowId}'` })) executions.push(execution.runId);
      assert.deepEqual(executions, [first.runId], 'one execution of PR 11');

      const [a, b] = [...canarySpans(await stepEvents(dir)).values()].sort((x, y) => x.from - y.from);
      assert.ok(a && b, 'two canaries');
      assert.ok(b.from > a.to, `the second canary's deploy (${b.from}) began after the first canary was stopped (${a.to})`);
    } finally {
      await terminateIfRunning(env, first.workflowId);
      await terminateIfRunning(env, other.workflowId);
    }
  });

  let revisionCase: { dir: string; id: string } | null = null;

  it('a revision pushed during the canary: the old canary ends, the new head is reviewed again and deployed; nothing of the old head is promoted', async () => {
    const dir = await caseDir(env.home, 'revision');
    const sections = commandTargetSections(dir, prometheus.url);
    const config = await writeConfig(dir, 'revision', faultConfig({ ...sections, canary: { ...sections.canary, durationSeconds: 60 } }));
    const id = await env.start({ head: 'pr/clean', pr: 21, config });
    revisionCase = { dir, id };
    const [oldHead, newHead] = [await env.repo.sha('pr/clean'), await env.repo.sha('pr/clean-v2')];
    try {
      await env.waitForStage(id, 'canary');
      await waitUntil('the old head\'s canary to be deployed', async () => (await stepEvents(dir)).some((event) => event.step === 'deploy-canary' && event.event === 'end'), { context: env.diagnostics });
      const pushed = await env.startRun({ head: 'pr/clean-v2', pr: 21, config });
      assert.match(pushed.stderr, /sent revisionPushed/);

      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      assert.equal(result.headSha, newHead);
      assert.equal(result.approvedBy, null);
      assert.deepEqual(await stepCounts(dir, `${id}-r1`), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        rollback: { started: 1, ended: 1, failed: 0 },
        stop: { started: 1, ended: 1, failed: 0 },
      }, 'the old head: deployed as a canary, rolled back, then stopped; never promoted');
      assert.deepEqual(await stepCounts(dir, `${id}-r2`), {
        'deploy-canary': { started: 1, ended: 1, failed: 0 },
        promote: { started: 1, ended: 1, failed: 0 },
        stop: { started: 1, ended: 1, failed: 0 },
      });
      assert.deepEqual((await invocations(dir, 'deploy-canary', id)).map((event) => event.version), [oldHead, newHead]);
      assert.deepEqual((await invocations(dir, 'promote', id)).map((event) => event.version), [newHead], 'only the new head was promoted');
      assert.equal((await activityRuns(env.handle(id), 'prepareChange')).length, 2, 'the new head went through review again');
      const status = await env.status(id);
      assert.equal(status.attempt, 2);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  // On the command target `stop` only releases resources (docs/command-target.md): without the rollback
  // the old canary would keep its traffic share until the new head's deploy-canary.
  it('a revision pushed during the canary: the old canary\'s traffic is rolled back before it is stopped', async () => {
    assert.ok(revisionCase, 'the previous case ran');
    const rollbacks = await invocations(revisionCase.dir, 'rollback', `${revisionCase.id}-r1`);
    assert.equal(rollbacks.length, 1, 'the old head\'s canary was rolled back');
    const events = (await stepEvents(revisionCase.dir)).filter((event) => event.deploymentId === `${revisionCase!.id}-r1`);
    const rolledBackAt = events.find((event) => event.step === 'rollback' && event.event === 'end')?.at ?? Infinity;
    const stopAt = events.find((event) => event.step === 'stop' && event.event === 'start')?.at ?? -Infinity;
    assert.ok(rolledBackAt <= stopAt, `rolled back (${rolledBackAt}) before the stop began (${stopAt})`);
  });
});
