/**
 * Model faults through the whole workflow: the real review activity and Claude review agent, talking
 * to the local Messages API stub, on the time-skipping server. Transient faults are retried by
 * Temporal and the PR deploys; invalid output and permanent errors end with a human, never a deploy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createArtifactStore } from '../../activities/artifacts/store.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { createAnthropicModel } from '../../activities/llm/anthropic.js';
import { loadPrompt } from '../../activities/llm/prompts.js';
import { createClaudeReviewAgent } from '../../activities/review/claude.js';
import { reviewChangeActivity } from '../../activities/review/activity.js';
import { prToProduction } from '../../workflows/prToProduction.js';
import { rejectSignal, revisionPushedSignal, statusQuery, type PipelineStatus } from '../../workflows/messages.js';
import { startAnthropicStub, type AnthropicStub, type Fault } from '../stub/anthropicStub.js';
import { timeSkippingEnv } from '../helpers/temporal.js';
import { stopLockWorker, testWorker } from './harness.js';
import { waitUntil } from '../faults/lib/wait.js';
import { fakeActivities, noFindings, prInput } from './fakes.js';

const DIFF = 'diff --git a/src/greeting.js b/src/greeting.js\n--- a/src/greeting.js\n+++ b/src/greeting.js\n@@ -1 +1 @@\n-export const greeting = "Hello";\n+export const greeting = "Welcome";\n';

let env: TestWorkflowEnvironment;
let stub: AnthropicStub;
let dir: string;
let counter = 0;

before(async () => {
  env = await timeSkippingEnv();
  stub = await startAnthropicStub();
  dir = await mkdtemp(path.join(tmpdir(), 'prpilot-llm-faults-'));
});
after(async () => {
  await stub?.close();
  await stopLockWorker();
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

interface FaultRun {
  /** Called once the PR waits for a human; the test then rejects it. */
  whenAwaiting?: (status: PipelineStatus) => void;
  /** Called as soon as the run started, alongside waiting for its result. */
  whileRunning?: (handle: PrHandle) => Promise<void>;
  /** The model client's own time limit per call. */
  timeoutMs?: number;
}

type PrHandle = Awaited<ReturnType<typeof env.client.workflow.start<typeof prToProduction>>>;

async function runWithFaults(faults: Fault[], { whenAwaiting, whileRunning, timeoutMs = 1_000 }: FaultRun = {}) {
  stub.requests.length = 0;
  stub.faults.splice(0, stub.faults.length, ...faults);
  const artifacts = createArtifactStore(path.join(dir, 'artifacts'));
  const { sha256 } = await artifacts.put(DIFF);
  const model = createAnthropicModel({ apiKey: 'test-key', baseURL: stub.url, model: 'claude-sonnet-4-5', timeoutMs });
  const deps = { artifacts, agents: { review: createClaudeReviewAgent(model, await loadPrompt('review')) } } as unknown as ActivityDeps;
  const { activities, calls } = fakeActivities({
    reviewChange: reviewChangeActivity(deps),
    async prepareChange() {
      return { diffSha256: sha256, stats: { files: 1, binaryFiles: 0, additions: 1, deletions: 1, bytes: DIFF.length }, findings: noFindings, heuristic: { score: 1, factors: [] }, paths: ['src/greeting.js'] };
    },
  });
  const taskQueue = `llm-${++counter}`;
  const worker = await testWorker(env, taskQueue, activities);
  const input = prInput();
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(prToProduction, { taskQueue, workflowId: `llm-${counter}`, args: [input] });
    try {
      return await drive(handle);
    } catch (error) {
      // A run left open would stop the test server from skipping time for every later test.
      await handle.terminate('test failed').catch(() => undefined);
      throw error;
    }
  });
  return { result, calls, answers: stub.requests.filter((request) => request.agent === 'review').map((request) => request.answeredWith) };

  async function drive(handle: PrHandle) {
    if (whileRunning) await whileRunning(handle);
    if (whenAwaiting) {
      for (let i = 0; i < 600; i++) {
        const status = await handle.query(statusQuery);
        if (status.awaitingApproval) {
          whenAwaiting(status);
          await handle.signal(rejectSignal, { by: 'carol', reason: 'model output unusable' });
          break;
        }
        await sleep(50);
      }
    }
    return handle.result();
  }
}

describe('model faults through the workflow', { timeout: 600_000 }, () => {
  for (const [name, fault] of [
    ['429 with retry-after', { kind: '429', retryAfterSeconds: 1 }],
    ['500', { kind: '500' }],
    ['529 overloaded', { kind: '529' }],
    ['a hang past the timeout', { kind: 'hang' }],
  ] as const) {
    it(`${name}: retried by Temporal, then reviewed and deployed`, async () => {
      const { result, answers } = await runWithFaults([{ ...fault, agent: 'review' }]);
      assert.deepEqual(answers, [fault.kind, 'ok']);
      assert.equal(result.outcome, 'deployed');
      assert.ok(result.tokens.input > 40, 'the review call\'s tokens are summed into the PR');
    });
  }

  for (const kind of ['malformed', 'invalid', 'refusal'] as const) {
    it(`${kind} output twice: one repair pass, then a human (agent_uncertain), never a deploy`, async () => {
      const { result, calls, answers } = await runWithFaults([{ kind, agent: 'review', times: 2 }], { whenAwaiting: (status) => {
        assert.ok(status.gates.includes('agent_uncertain'), status.gates.join(','));
      } });
      assert.deepEqual(answers, [kind, kind], 'the repair pass happened once and the activity was not retried');
      assert.equal(result.outcome, 'rejected');
      assert.equal(calls.startCanary, undefined);
    });
  }

  it('malformed once: the repair pass fixes it', async () => {
    const { result, answers } = await runWithFaults([{ kind: 'malformed', agent: 'review' }]);
    assert.deepEqual(answers, ['malformed', 'ok']);
    assert.equal(result.outcome, 'deployed');
  });

  it('500 on every attempt: agent_failed after Temporal\'s retries, a human decides', async () => {
    const { result, calls, answers } = await runWithFaults([{ kind: '500', agent: 'review', times: 10 }], { whenAwaiting: (status) => {
      assert.ok(status.gates.includes('agent_failed'));
    } });
    assert.deepEqual(answers, ['500', '500', '500'], 'three attempts, the agent retry policy');
    assert.equal(result.outcome, 'rejected');
    assert.equal(calls.startCanary, undefined);
  });

  it('401: not retried, a human decides', async () => {
    const { result, answers } = await runWithFaults([{ kind: '401', agent: 'review', times: 10 }], { whenAwaiting: (status) => {
      assert.ok(status.gates.includes('agent_failed'));
    } });
    assert.deepEqual(answers, ['401']);
    assert.equal(result.outcome, 'rejected');
  });

  it('a revision pushed during a model call cancels the call: the client closes it, the new head is reviewed', async () => {
    // The model's own time limit is 10 minutes: only the activity's cancellation can close the hung call.
    const { result, answers } = await runWithFaults([{ kind: 'hang', agent: 'review' }], {
      timeoutMs: 600_000,
      whileRunning: async (handle) => {
        // A cancellation reaches an activity with its next heartbeat: well within the minute allowed here.
        const hung = await waitUntil('the review call to hang', () => stub.requests.find((request) => request.answeredWith === 'hang'), { timeoutMs: 60_000, everyMs: 50 });
        await handle.signal(revisionPushedSignal, { headSha: 'b'.repeat(40) });
        await waitUntil('the client to close the hung call', () => hung.abandoned, { timeoutMs: 60_000, everyMs: 50 });
      },
    });
    assert.deepEqual(answers, ['hang', 'ok'], 'the old head\'s call was given up, the new head reviewed once');
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.headSha, 'b'.repeat(40));
  });
});

