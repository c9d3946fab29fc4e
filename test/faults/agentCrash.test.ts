/**
 * The worker is SIGKILLed while an agent waits for the model (review, then validation), with
 * PRPILOT_LLM=anthropic against the Messages API stub, which holds the call open. A new worker starts
 * at once. Expected: the agent's activity is retried on it within a heartbeat timeout and the PR deploys
 * (the agent activities heartbeat while they wait on the model, with a 30 s heartbeat timeout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAnthropicStub, type AnthropicStub, type StubAgent } from '../stub/anthropicStub.js';
import { faultConfig, writeConfig } from './lib/config.js';
import { localPromotions, localProcessStarts } from './lib/deployCalls.js';
import { caseDir } from './lib/files.js';
import { setUpFaultEnv, terminateIfRunning, type FaultEnv } from './lib/harness.js';
import { waitUntil } from './lib/wait.js';

describe('worker SIGKILLed while an agent waits for the model', { timeout: 900_000 }, () => {
  let env: FaultEnv;
  let stub: AnthropicStub;
  let config = '';
  before(async () => {
    stub = await startAnthropicStub();
    env = await setUpFaultEnv({ PRPILOT_LLM: 'anthropic', ANTHROPIC_API_KEY: 'stub-key', ANTHROPIC_BASE_URL: stub.url, PRPILOT_LLM_TIMEOUT_MS: '60000' });
    await env.worker.start();
    config = await writeConfig(await caseDir(env.home, 'agent'), 'agent', faultConfig());
  });
  after(async () => {
    await env?.dispose();
    await stub?.close();
  });

  const calls = (agent: StubAgent) => stub.requests.filter((request) => request.agent === agent);

  for (const [pr, agent] of [[1, 'review'], [2, 'validation']] as const) {
    it(`mid-${agent}: the ${agent} is retried on the new worker within a heartbeat timeout and the PR deploys`, async () => {
      stub.requests.length = 0;
      stub.faults.splice(0, stub.faults.length, { kind: 'hang', agent });
      const id = await env.start({ head: 'pr/clean', pr, config });
      try {
        await waitUntil(`the ${agent} call to hang`, () => calls(agent).length === 1, { context: env.diagnostics });
        await env.worker.crash();
        await env.worker.start();
        await waitUntil(`the ${agent} to be retried`, () => calls(agent).length === 2, { timeoutMs: 90_000 }).catch(async (error: unknown) => {
          // Meanwhile the run is not lost: it waits at its stage, and nothing was deployed.
          assert.equal(await env.stage(id), agent);
          assert.equal(await localProcessStarts(env.home, `${id}-r1`, 'canary'), 0);
          throw error;
        });
        const result = await env.result(id);
        assert.equal(result.outcome, 'deployed', result.reason);
        assert.equal(await localPromotions(env.home, `${id}-r1`), 1);
      } finally {
        await terminateIfRunning(env, id);
      }
    });
  }
});
