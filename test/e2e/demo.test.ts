/**
 * End to end on a real dev server with the real CLI: `prpilot demo` (three PRs, real processes and
 * traffic), then status, list and audit on what it left in history.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesMentioning, runCli } from '../helpers/cli.js';
import { startTestDevServer } from '../helpers/temporal.js';

describe('prpilot demo on a real dev server', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestDevServer();
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-home-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', PRPILOT_UI_URL: server.uiUrl };
  });
  after(async () => {
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
    await rm(home ?? '', { recursive: true, force: true });
  });

  it('takes three PRs to their expected ends and exits 0', async () => {
    const run = await runCli(['demo'], env, { timeoutMs: 480_000 });
    assert.equal(run.code, 0, `demo failed:\n${run.stdout}\n${run.stderr}`);
    for (const [key, outcome] of [['clean', 'deployed'], ['risky', 'deployed'], ['bad', 'rolled_back']] as const) {
      const row = run.stdout.split('\n').find((line) => line.startsWith(`${key} `));
      assert.ok(row, `no result row for ${key}`);
      const [, expected, actual, id] = row.trim().split(/\s+/);
      assert.equal(expected, outcome);
      assert.equal(actual, outcome);
      ids[key] = id!;
    }
    assert.match(run.stdout, /the author bob tries to approve: ignored: bob is the author/);
    assert.match(run.stdout, /temporal workflow signal --workflow-id \S+ --name approve/);
    assert.deepEqual(processesMentioning(home), [], 'every deploy process was stopped');
  });

  it('status reads the outcome back', async () => {
    const status = await runCli(['status', ids.bad!, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { outcome: string; stage: string; gates: string[] };
    assert.equal(parsed.outcome, 'rolled_back');
    assert.equal(parsed.stage, 'done');
  });

  it('list shows the three runs from visibility', async () => {
    const list = await runCli(['list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { workflowId: string; stage: string }[];
    for (const id of Object.values(ids)) assert.ok(rows.some((row) => row.workflowId === id && row.stage === 'done'), `${id} listed`);
  });

  it('audit rebuilds a verified hash chain with every decision, including the ignored approval', async () => {
    const audit = await runCli(['audit', ids.risky!, '--format', 'json'], env);
    assert.equal(audit.code, 0, audit.stderr);
    const trail = JSON.parse(audit.stdout) as {
      chain: { ok: boolean }; records: { stage: string; decision: string; agentVersion: string; promptSha256: string }[];
      signals: { name: string }[];
    };
    assert.equal(trail.chain.ok, true);
    const decisions = trail.records.map((record) => `${record.stage}: ${record.decision}`);
    assert.ok(decisions.includes('awaiting_approval: approve by bob ignored'), decisions.join('\n'));
    assert.ok(decisions.includes('awaiting_approval: approve by carol accepted'));
    assert.ok(decisions.some((decision) => decision.startsWith('gates: human approval required (schema_change)')));
    assert.ok(trail.records.every((record) => record.agentVersion && /^[0-9a-f]{64}$/.test(record.promptSha256)));
    assert.equal(trail.signals.filter((signal) => signal.name === 'approve').length, 2);

    const markdown = await runCli(['audit', ids.bad!, '--format', 'md'], env);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /Hash chain verified: \d+ decision record/);
    assert.match(markdown.stdout, /canary fail/);
    assert.match(markdown.stdout, /incident report written/);
  });

  it('audit --artifacts reads back every artifact the records name, and fails on one altered or gone', async () => {
    interface ArtifactsJson { artifacts: { store: string; checks: { seq: number; field: string; sha256: string; problem: string | null }[] } }
    const audit = await runCli(['audit', ids.bad!, '--format', 'json', '--artifacts'], env);
    assert.equal(audit.code, 0, audit.stderr);
    const { artifacts } = JSON.parse(audit.stdout) as ArtifactsJson;
    assert.equal(artifacts.store, path.join(home, 'artifacts'));
    const fields = artifacts.checks.map((check) => check.field);
    for (const field of ['details.diffSha256', 'details.verdictLogSha256', 'details.incidentReportSha256']) assert.ok(fields.includes(field), `${field} checked: ${fields.join(', ')}`);
    assert.ok(artifacts.checks.every((check) => check.problem === null), JSON.stringify(artifacts.checks));

    const verdictLog = artifacts.checks.find((check) => check.field === 'details.verdictLogSha256')!;
    const file = path.join(home, 'artifacts', verdictLog.sha256.slice(0, 2), verdictLog.sha256);
    await writeFile(file, '[]');
    const altered = await runCli(['audit', ids.bad!, '--artifacts'], env);
    assert.equal(altered.code, 1);
    assert.match(altered.stdout, /ARTIFACTS DO NOT VERIFY/);
    assert.match(altered.stderr, new RegExp(`record ${verdictLog.seq} details\\.verdictLogSha256: artifact ${verdictLog.sha256} is corrupt`));
    await rm(file);
    const gone = await runCli(['audit', ids.bad!, '--artifacts'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, new RegExp(`record ${verdictLog.seq} details\\.verdictLogSha256: artifact ${verdictLog.sha256} is not in `));
    // Without the flag the audit reads history only: the chain still verifies.
    assert.equal((await runCli(['audit', ids.bad!], env)).code, 0);
  });
});
