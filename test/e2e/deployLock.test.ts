/**
 * Two PRs of the same service on a real dev server, with `prpilot worker` and `prpilot start` as
 * separate processes and the real local deploy target: their canaries run one after the other, the
 * second visibly waiting for the deploy lock, and no process outlives the worker.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { buildDemoRepo } from '../../cli/demo/buildRepo.js';
import { PRPILOT, processesMentioning, runCli } from '../helpers/cli.js';
import { startTestDevServer } from '../helpers/temporal.js';
import { waitAllDead } from '../helpers/processes.js';

interface StatusJson { stage: string; outcome: string | null }
interface AuditJson { records: { decision: string; at: string }[]; chain: { ok: boolean } }

describe('deploy lock: two PRs of one service', { timeout: 600_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcess;
  let workerLog = '';
  let repo: Awaited<ReturnType<typeof buildDemoRepo>>;

  const status = async (workflowId: string): Promise<StatusJson> => {
    const run = await runCli(['status', workflowId, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as StatusJson;
  };
  const audit = async (workflowId: string): Promise<AuditJson> => {
    const run = await runCli(['audit', workflowId, '--format', 'json'], env);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as AuditJson;
  };
  const start = async (pr: number): Promise<string> => {
    const run = await runCli(['start', '--repo', repo.path, '--base', 'main', '--head', 'pr/clean', '--pr', String(pr), '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    return (JSON.parse(run.stdout) as { workflowId: string }).workflowId;
  };

  before(async () => {
    server = await startTestDevServer();
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-lock-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline' };
    repo = await buildDemoRepo(home);
    assert.equal((await runCli(['setup'], env)).code, 0);
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

  it('runs one canary at a time, the other PR waiting for the lock meanwhile', async () => {
    // Started together, both reach the canary at about the same time: one must wait for the other.
    const [a, b] = await Promise.all([start(61), start(62)]);
    let sawWaiting = false;
    for (let i = 0; i < 960; i++) {
      const [one, two] = await Promise.all([status(a), status(b)]);
      const stages = [one.stage, two.stage].sort().join(',');
      if (stages === 'canary,waiting_for_lock') sawWaiting = true;
      assert.notEqual(stages, 'canary,canary', 'two canaries of one service at once');
      if (one.outcome && two.outcome) break;
      await sleep(250);
    }
    assert.ok(sawWaiting, 'one PR showed stage waiting_for_lock while the other was in canary');
    assert.equal((await status(a)).outcome, 'deployed', workerLog);
    assert.equal((await status(b)).outcome, 'deployed', workerLog);

    const trails = await Promise.all([audit(a), audit(b)]);
    assert.ok(trails.every((trail) => trail.chain.ok));
    const at = (trail: AuditJson, pattern: RegExp) => trail.records.find((record) => pattern.test(record.decision))?.at ?? '';
    const [first, second] = [...trails].sort((x, y) => at(x, /deploy lock .* acquired/).localeCompare(at(y, /deploy lock .* acquired/)));
    const firstPromoted = at(first!, /canary promoted/);
    const secondLocked = at(second!, /deploy lock of demo-service acquired/);
    assert.ok(firstPromoted && secondLocked, 'both records present');
    assert.ok(secondLocked >= firstPromoted, `the second took the lock at ${secondLocked}, before the first was promoted at ${firstPromoted}`);
  });

  it('leaves no process behind when the worker stops', async () => {
    worker.kill('SIGTERM');
    for (let i = 0; i < 120 && worker.exitCode === null; i++) await sleep(250);
    const left = processesMentioning(home);
    assert.deepEqual(await waitAllDead(left.map((entry) => entry.pid)), [], `processes left: ${JSON.stringify(left)}`);
  });
});
