/**
 * Model faults with the real worker process: `prpilot worker` with PRPILOT_LLM=anthropic talks to the
 * local Messages API stub (test/stub/anthropicStub.ts), with a short PRPILOT_LLM_TIMEOUT_MS. Transient
 * faults (429 with retry-after, 500, 529, a hang past the timeout) are retried by Temporal and the PR
 * deploys; malformed or schema-violating output gets one repair pass, then a human (agent_uncertain),
 * and nothing deploys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rejectSignal } from '../../workflows/messages.js';
import { startAnthropicStub, type AnthropicStub, type Fault, type StubAgent } from '../stub/anthropicStub.js';
import { faultConfig, writeConfig } from './lib/config.js';
import { localPromotions, localProcessStarts } from './lib/deployCalls.js';
import { caseDir } from './lib/files.js';
import { setUpFaultEnv, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { activityRuns } from './lib/history.js';

describe('model faults through the real worker (Messages API stub)', { timeout: 1_200_000 }, () => {
  let env: FaultEnv;
  let stub: AnthropicStub;
  let config = '';
  before(async () => {
    stub = await startAnthropicStub();
    env = await setUpFaultEnv({ PRPILOT_LLM: 'anthropic', ANTHROPIC_API_KEY: 'stub-key', ANTHROPIC_BASE_URL: stub.url, PRPILOT_LLM_TIMEOUT_MS: '3000' });
    await env.worker.start();
    config = await writeConfig(await caseDir(env.home, 'llm'), 'llm', faultConfig());
  });
  after(async () => {
    await env?.dispose();
    await stub?.close();
  });

  /** Starts a PR with these faults queued, and returns what each agent's calls were answered with. */
  async function startWithFaults(pr: number, faults: Fault[]): Promise<{ id: string; answers: () => Partial<Record<StubAgent, string[]>> }> {
    stub.requests.length = 0;
    stub.faults.splice(0, stub.faults.length, ...faults);
    const id = await env.start({ head: 'pr/clean', pr, config });
    return {
      id,
      answers: () => {
        const byAgent: Partial<Record<StubAgent, string[]>> = {};
        for (const request of stub.requests) (byAgent[request.agent] ??= []).push(request.answeredWith);
        return byAgent;
      },
    };
  }

  it('429 with retry-after, 500, 529 and a hang: each retried by Temporal, then deployed once', async () => {
    const { id, answers } = await startWithFaults(1, [
      { kind: '429', agent: 'review', retryAfterSeconds: 1 },
      { kind: 'hang', agent: 'validation' },
      { kind: '500', agent: 'deployment' },
      { kind: '529', agent: 'deployment' },
    ]);
    try {
      const result = await env.result(id);
      assert.equal(result.outcome, 'deployed', `${result.reason}\n${env.diagnostics()}`);
      const seen = answers();
      assert.deepEqual(seen.review, ['429', 'ok']);
      assert.deepEqual(seen.validation, ['hang', 'ok']);
      assert.deepEqual(seen.deployment, ['500', '529', 'ok']);
      assert.deepEqual(result.gates, [], 'a fault that was retried away leaves no gate');
      assert.equal(result.approvedBy, null);
      assert.ok(result.tokens.input > 0, 'the model calls\' tokens are counted');
      const history = await activityRuns(env.handle(id));
      const attempt = (type: string) => history.filter((run) => run.type === type).map((run) => run.attempt);
      assert.deepEqual(attempt('reviewChange'), [2]);
      assert.deepEqual(attempt('validateStaging'), [2]);
      assert.deepEqual(attempt('assessDeploymentRisk'), [3]);
      assert.equal(await localProcessStarts(env.home, `${id}-r1`, 'canary'), 1);
      assert.equal(await localPromotions(env.home, `${id}-r1`), 1);
    } finally {
      await terminateIfRunning(env, id);
    }
  });

  for (const [name, fault, agent, activity] of [
    ['malformed review output', 'malformed', 'review', 'reviewChange'],
    ['schema-violating deployment-risk output', 'invalid', 'deployment', 'assessDeploymentRisk'],
  ] as const) {
    it(`${name} twice: one repair pass, then a human (agent_uncertain); nothing deploys`, async () => {
      const { id, answers } = await startWithFaults(fault === 'malformed' ? 2 : 3, [{ kind: fault, agent, times: 2 }]);
      try {
        const waiting = await env.waitForStatus(id, 'awaiting approval', (status) => status.awaitingApproval);
        assert.ok(waiting.gates.includes('agent_uncertain'), waiting.gates.join(', '));
        assert.equal(waiting.approvals.length, 0, 'no approval appears by itself');
        assert.deepEqual(answers()[agent], [fault, fault], 'the call and its one repair pass; the activity was not retried');
        assert.deepEqual((await activityRuns(env.handle(id), activity)).map((run) => [run.ended, run.attempt]), [['failed', 1]]);
        assert.equal(await env.stage(id), 'awaiting_approval');
        assert.equal(await localProcessStarts(env.home, `${id}-r1`, 'canary'), 0, 'no canary while a human decides');

        await env.handle(id).signal(rejectSignal, { by: 'dave', reason: 'the model output was unusable' });
        const result = await env.result(id);
        assert.equal(result.outcome, 'rejected');
        assert.equal(await localProcessStarts(env.home, `${id}-r1`, 'canary'), 0, 'never deployed');
        assert.equal((await activityRuns(env.handle(id), 'startCanary')).length, 0);
      } finally {
        await terminateIfRunning(env, id);
      }
    });
  }
});
