/**
 * The demo with PRPILOT_LLM=anthropic against the local Messages API stub: the same three outcomes as
 * offline, and every agent decision record carries the model, its prompt hash and its tokens.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesMentioning, runCli } from '../helpers/cli.js';
import { startTestDevServer } from '../helpers/temporal.js';
import { startAnthropicStub, type AnthropicStub } from '../stub/anthropicStub.js';

interface Trail { chain: { ok: boolean }; records: { agent: string; model: string | null; promptSha256: string; tokens: { input: number; output: number } }[] }

describe('prpilot demo with the Claude agents (Messages API stub)', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let stub: AnthropicStub;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startTestDevServer();
    stub = await startAnthropicStub();
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-claude-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'anthropic', ANTHROPIC_API_KEY: 'stub-key', ANTHROPIC_BASE_URL: stub.url };
  });
  after(async () => {
    await stub?.close();
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
    await rm(home ?? '', { recursive: true, force: true });
  });

  it('ends the three PRs as offline, with model, prompt hash and tokens on every agent decision', async () => {
    const run = await runCli(['demo'], env, { timeoutMs: 480_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /Claude agents, model claude-sonnet-4-5 at http:\/\/127\.0\.0\.1/);
    const ids = ['clean', 'risky', 'bad'].map((key) => run.stdout.split('\n').find((line) => line.startsWith(`${key} `))!.trim().split(/\s+/)[3]!);
    for (const id of ids) {
      const audit = await runCli(['audit', id, '--format', 'json'], env);
      assert.equal(audit.code, 0, audit.stderr);
      const trail = JSON.parse(audit.stdout) as Trail;
      assert.equal(trail.chain.ok, true);
      const byModel = trail.records.filter((record) => ['review', 'validation', 'deployment'].includes(record.agent));
      assert.ok(byModel.length >= 3, `${id}: review, validation and deployment decisions`);
      for (const record of byModel) {
        assert.equal(record.model, 'claude-sonnet-4-5', `${id}: ${record.agent}`);
        assert.match(record.promptSha256, /^[0-9a-f]{64}$/);
        assert.ok(record.tokens.input > 0 && record.tokens.output > 0, `${id}: ${record.agent} tokens`);
      }
    }
    const agents = new Set(stub.requests.map((request) => request.agent));
    for (const agent of ['review', 'validation', 'deployment', 'incident']) assert.ok(agents.has(agent as never), `the ${agent} agent called the model`);
    const status = await runCli(['status', ids[0]!, '--json'], env);
    assert.ok((JSON.parse(status.stdout) as { tokens: { input: number } }).tokens.input > 0, 'status shows the PR\'s tokens');
    assert.deepEqual(processesMentioning(home), []);
  });
});
