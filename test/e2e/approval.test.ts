/**
 * A human approval through plain `temporal workflow signal`, with `prpilot worker` and `prpilot start`
 * as separate processes on a real dev server, and the real local deploy target.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { buildDemoRepo } from '../../cli/demo/buildRepo.js';
import { PRPILOT, processesMentioning, runCli, runProgram } from '../helpers/cli.js';
import { startTestDevServer } from '../helpers/temporal.js';

interface StatusJson { stage: string; awaitingApproval: boolean; outcome: string | null; gates: string[]; approvals: { by: string; accepted: boolean; why: string }[] }

describe('approval by `temporal workflow signal`', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcess;
  let workerLog = '';
  let repo: Awaited<ReturnType<typeof buildDemoRepo>>;
  let workflowId = '';

  const status = async (): Promise<StatusJson> => {
    const run = await runCli(['status', workflowId, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as StatusJson;
  };
  const waitFor = async (predicate: (s: StatusJson) => boolean, what: string): Promise<StatusJson> => {
    for (let i = 0; i < 240; i++) {
      const current = await status();
      if (predicate(current)) return current;
      await sleep(500);
    }
    throw new Error(`timed out waiting for ${what}; worker log:\n${workerLog}`);
  };
  const signal = (input: string) => runProgram(server.cliPath, [
    'workflow', 'signal', '--address', server.address, '--namespace', 'default', '--workflow-id', workflowId, '--name', 'approve', '--input', input,
  ]);

  before(async () => {
    server = await startTestDevServer();
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-home-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline' };
    repo = await buildDemoRepo(home);
    const setup = await runCli(['setup'], env);
    assert.equal(setup.code, 0, setup.stderr);
    worker = spawn(PRPILOT, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stderr!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
    worker.stdout!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
    for (let i = 0; i < 120 && !workerLog.includes('polling task queue'); i++) await sleep(250);
    assert.match(workerLog, /polling task queue/);
  });
  after(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
    await rm(home ?? '', { recursive: true, force: true });
  });

  it('start --wait --until-blocked exits 3 when the risky PR waits for a human', async () => {
    const start = await runCli(['start', '--repo', repo.path, '--base', 'main', '--head', 'pr/risky', '--pr', '42', '--json', '--wait', '--until-blocked'], env, { timeoutMs: 300_000 });
    assert.equal(start.code, 3, `${start.stdout}\n${start.stderr}\n${workerLog}`);
    const started = JSON.parse(start.stdout.split('\n')[0]!) as { workflowId: string; runId: string; url: string };
    workflowId = started.workflowId;
    assert.equal(workflowId, `pr-local-${path.basename(repo.path)}-42`);
    assert.match(start.stderr, /awaiting approval: schema change/);
    assert.match(start.stderr, /prpilot approve/);

    const again = await runCli(['start', '--repo', repo.path, '--base', 'main', '--head', 'pr/risky', '--pr', '42', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { runId: string }).runId, started.runId, 'the same PR started again returns the running workflow');
  });

  it('ignores the author and counts a reviewer, both sent with the temporal CLI', async () => {
    const noBy = await runCli(['approve', workflowId], env);
    assert.equal(noBy.code, 2);
    assert.match(noBy.stderr, /--by USER is required/);

    const byAuthor = await signal('{"by":"bob","reason":"mine"}');
    assert.equal(byAuthor.code, 0, byAuthor.stderr);
    const afterAuthor = await waitFor((s) => s.approvals.length === 1, 'the author approval to be recorded');
    assert.equal(afterAuthor.approvals[0]!.accepted, false);
    assert.equal(afterAuthor.awaitingApproval, true);

    const wrongShape = await signal('{"approver":"dave"}');
    assert.equal(wrongShape.code, 0);
    const afterBad = await waitFor((s) => s.approvals.length === 2, 'the malformed approval to be recorded');
    assert.match(afterBad.approvals[1]!.why, /invalid approve payload/);

    const byReviewer = await signal('{"by":"dave","reason":"migration reviewed"}');
    assert.equal(byReviewer.code, 0, byReviewer.stderr);
    const done = await waitFor((s) => s.outcome !== null, 'the outcome');
    assert.equal(done.outcome, 'deployed', workerLog);
  });

  it('refuses to approve a finished run and leaves no process behind on worker shutdown', async () => {
    const late = await runCli(['approve', workflowId, '--by', 'dave'], env);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /has already ended \(completed\)/);

    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGINT');
    assert.equal(await exited, 0, workerLog);
    assert.match(workerLog, /every deploy process it started has been stopped/);
    assert.deepEqual(processesMentioning(home), []);
  });
});
