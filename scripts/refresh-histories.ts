/**
 * Re-records test/histories/*.json on a private dev server with the real CLI and a real worker: one
 * history per terminal outcome of `prToProduction`, and one of the deploy lock.
 *
 *   demo-clean.json     deployed      `prpilot demo`'s clean PR
 *   demo-risky.json     deployed      `prpilot demo`'s risky PR, after a human approval
 *   demo-bad.json       rolled_back   `prpilot demo`'s bad PR (its canary fails)
 *   demo-rejected.json  rejected      the risky PR, rejected with `prpilot reject`
 *   demo-expired.json   expired       the risky PR with a 6-s approval window (one reminder, then expired)
 *   demo-failed.json    failed        the clean PR's greeting change without its test update: tests fail
 *   demo-revised.json   deployed      the clean PR, a revision pushed while its 30-s canary runs: that canary
 *                                     is rolled back and the new head goes through again and is deployed
 *   deploy-lock.json    (running)     deploy-lock-demo-service after it served the demo's canaries
 *
 * Run after a deliberate, patched() workflow change:
 *   npm run histories
 * Keep the old files too (rename them to v<N>-*.json) when the change must still replay old histories.
 * The demo and the worker bundle the workflow code of this tree when they start (about 4 minutes apart):
 * record from a tree whose workflow code is the one being committed, and not while it is being edited.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildDemoRepo, type DemoRepo } from '../cli/demo/buildRepo.js';
import { demoPullRequests, demoServiceDir } from '../examples/demo-service/pr-changes/index.js';
import { deployLockWorkflowId } from '../workflows/deployLockMessages.js';
import type { Outcome } from '../workflows/messages.js';
import { PRPILOT, runCli, runProgram } from '../test/helpers/cli.js';
import { startTestDevServer } from '../test/helpers/temporal.js';

/** The parts of the temporal CLI's history JSON this script reads. */
interface HistoryJson {
  events: {
    eventId: string;
    workflowExecutionCompletedEventAttributes?: { result?: { payloads?: { data: string }[] } };
    workflowExecutionSignaledEventAttributes?: { signalName: string };
    signalExternalWorkflowExecutionInitiatedEventAttributes?: { signalName: string };
    activityTaskScheduledEventAttributes?: { activityType: { name: string } };
    activityTaskCompletedEventAttributes?: { scheduledEventId: string };
  }[];
}

const out = fileURLToPath(new URL('../test/histories/', import.meta.url));
const server = await startTestDevServer();
const home = await mkdtemp(path.join(tmpdir(), 'prpilot-histories-'));
// Saved histories are plain (replay tests run without a key), even if the shell exports PRPILOT_ENCRYPTION_KEY.
const env: NodeJS.ProcessEnv = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', PRPILOT_ENCRYPTION_KEY: '' };
let worker: ChildProcess | null = null;
let workerLog = '';
try {
  await recordDemo();
  worker = await startWorker();
  const repo = await buildDemoRepo(home);
  await addUntestedBranch(repo);
  await Promise.all([recordRejected(repo), recordExpired(repo), recordFailed(repo), recordRevised(repo)]);
  await recordDeployLock();
  await stopWorker(worker);
} catch (error) {
  if (workerLog) console.error(`prpilot worker's log:\n${workerLog}`);
  throw error;
} finally {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await server.stop();
  await rm(server.dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
}

/** `prpilot demo`: clean (deployed), risky (approved, deployed), bad (rolled back). Runs its own worker. */
async function recordDemo(): Promise<void> {
  const demo = await runCli(['demo'], env, { timeoutMs: 600_000 });
  if (demo.code !== 0) throw new Error(`demo failed:\n${demo.stdout}\n${demo.stderr}`);
  for (const [key, outcome] of [['clean', 'deployed'], ['risky', 'deployed'], ['bad', 'rolled_back']] as const) {
    const row = demo.stdout.split('\n').find((line) => line.startsWith(`${key} `));
    const workflowId = row?.trim().split(/\s+/)[3];
    if (!workflowId) throw new Error(`no workflow id for ${key} in the demo output`);
    await savePrHistory(workflowId, `demo-${key}.json`, outcome);
  }
}

/** The risky PR waits for a human (`start --wait --until-blocked` exits 3); a reviewer rejects it. */
async function recordRejected(repo: DemoRepo): Promise<void> {
  const workflowId = await startPr(repo, ['--head', 'pr/risky', '--pr', '201', '--wait', '--until-blocked'], 3);
  const reject = await runCli(['reject', workflowId, '--by', 'carol', '--reason', 'the backfill needs a maintenance window'], env);
  if (reject.code !== 0) throw new Error(`prpilot reject exited ${reject.code}:\n${reject.stdout}\n${reject.stderr}`);
  await waitForOutcome(workflowId);
  await savePrHistory(workflowId, 'demo-rejected.json', 'rejected');
}

/** The risky PR with a 6-s approval window and a reminder every 3 s: nobody answers, it expires. */
async function recordExpired(repo: DemoRepo): Promise<void> {
  const configFile = await writeDemoConfig('short-approval.config.json', () => ({ approval: { timeoutSeconds: 6, reminderSeconds: 3 } }));
  const workflowId = await startPr(repo, ['--head', 'pr/risky', '--pr', '202', '--config', configFile, '--wait'], 12);
  await savePrHistory(workflowId, 'demo-expired.json', 'expired');
}

/** A PR whose tests fail (see addUntestedBranch): the run fails closed before staging. */
async function recordFailed(repo: DemoRepo): Promise<void> {
  const workflowId = await startPr(repo, ['--head', 'pr/untested', '--pr', '203', '--wait'], 13);
  await savePrHistory(workflowId, 'demo-failed.json', 'failed');
}

/**
 * The clean PR with a 30-s canary. Once that canary serves traffic, a second commit lands on the branch and
 * `prpilot start` is run again for the PR: it sends revisionPushed. The old head's canary is rolled back
 * before it is stopped (patch canary-rolled-back-when-cancelled), then the new head is reviewed again and deployed.
 */
async function recordRevised(repo: DemoRepo): Promise<void> {
  const configFile = await writeDemoConfig('long-canary.config.json', (config) => ({ canary: { ...config.canary as object, durationSeconds: 30 } }));
  const git = (...args: string[]) => promisify(execFile)('git', ['-C', repo.path, ...args]);
  await git('branch', 'pr/revised', 'pr/clean');
  const args = ['--head', 'pr/revised', '--pr', '204', '--config', configFile];
  const workflowId = await startPr(repo, args, 0);
  await waitForCanary(workflowId);

  // A worktree, so the repo's checkout (which the other scenarios' CLI reads) stays on main.
  const worktree = path.join(home, 'revised-worktree');
  await git('worktree', 'add', '--quiet', worktree, 'pr/revised');
  await writeFile(path.join(worktree, 'README.md'), `${await readFile(path.join(worktree, 'README.md'), 'utf8')}\nThe home endpoint greets with \`GREETING\` from src/app.js.\n`);
  await promisify(execFile)('git', ['-C', worktree, '-c', 'user.name=alice', '-c', 'user.email=alice@example.com', 'commit', '--quiet', '--all', '-m', 'README: where the greeting comes from']);
  await git('worktree', 'remove', worktree);

  const pushed = await runCli(['start', '--repo', repo.path, '--base', repo.base, '--json', ...args, '--wait'], env, { timeoutMs: 600_000 });
  if (pushed.code !== 0 || !pushed.stderr.includes('sent revisionPushed')) {
    throw new Error(`prpilot start on the new head exited ${pushed.code} (expected 0, having sent revisionPushed):\n${pushed.stdout}\n${pushed.stderr}`);
  }
  const { events } = await showHistory(workflowId);
  const after = (from: number, what: string, found: (event: HistoryJson['events'][number]) => boolean) => {
    const index = events.findIndex((event, i) => i > from && found(event));
    if (index < 0) throw new Error(`${workflowId} for demo-revised.json: no ${what} in its history`);
    return index;
  };
  const scheduled = (name: string) => (event: HistoryJson['events'][number]) => event.activityTaskScheduledEventAttributes?.activityType.name === name;
  const signalled = after(-1, 'revisionPushed signal', (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'revisionPushed');
  const rolledBack = after(signalled, 'rollbackCanary after the revisionPushed signal', scheduled('rollbackCanary'));
  after(rolledBack, 'startCanary of the new head after the rollback', scheduled('startCanary'));
  await savePrHistory(workflowId, 'demo-revised.json', 'deployed');
}

/** The lock the demo's canaries took in turn; idle now, it waits out its idle timer (a running history). */
async function recordDeployLock(): Promise<void> {
  const history = await showHistory(deployLockWorkflowId('demo-service'));
  const grants = history.events.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'deployLockGranted');
  if (grants.length === 0) throw new Error('the deploy lock history has no grant: it served no canary');
  await saveHistory('deploy-lock.json', history);
}

/**
 * The clean PR's new greeting without the test change that goes with it: the service's own test
 * (`assert.match(body.message, /^Hello/)`) fails, so the tests stage fails for real.
 */
async function addUntestedBranch(repo: DemoRepo): Promise<void> {
  const clean = demoPullRequests.find((pr) => pr.key === 'clean')!;
  const git = (...args: string[]) => promisify(execFile)('git', ['-C', repo.path, ...args]);
  await git('checkout', '--quiet', '-b', 'pr/untested', repo.base);
  await writeFile(path.join(repo.path, 'src/app.js'), clean.files['src/app.js']!);
  await git('-c', 'user.name=alice', '-c', 'user.email=alice@example.com', 'commit', '--quiet', '--all', '-m', 'Friendlier greeting (tests not updated)');
  await git('checkout', '--quiet', repo.base);
}

/** The demo service's config with some sections replaced, written under PRPILOT_HOME; returns its path. */
async function writeDemoConfig(file: string, change: (config: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
  const config = JSON.parse(await readFile(path.join(demoServiceDir, 'prpilot.config.json'), 'utf8')) as Record<string, unknown>;
  const configFile = path.join(home, file);
  await writeFile(configFile, JSON.stringify({ ...config, ...change(config) }));
  return configFile;
}

/** `prpilot start --json ...` on the demo repo; checks its exit code (DESIGN.md) and returns the workflow id. */
async function startPr(repo: DemoRepo, args: string[], expectedCode: number): Promise<string> {
  const run = await runCli(['start', '--repo', repo.path, '--base', repo.base, '--json', ...args], env, { timeoutMs: 300_000 });
  if (run.code !== expectedCode) throw new Error(`prpilot start ${args.join(' ')} exited ${run.code}, expected ${expectedCode}:\n${run.stdout}\n${run.stderr}`);
  return (JSON.parse(run.stdout.split('\n')[0]!) as { workflowId: string }).workflowId;
}

/** Until `prpilot status` shows the canary stage and the history shows the canary started (it takes traffic). */
async function waitForCanary(workflowId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const status = await runCli(['status', workflowId, '--json'], env);
    const { stage, outcome } = status.code === 0 ? JSON.parse(status.stdout) as { stage: string | null; outcome: string | null } : { stage: null, outcome: null };
    if (outcome) throw new Error(`${workflowId} ended (${outcome}) before its canary ran`);
    if (stage === 'canary') {
      const { events } = await showHistory(workflowId);
      const started = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType.name === 'startCanary');
      if (started && events.some((event) => event.activityTaskCompletedEventAttributes?.scheduledEventId === started.eventId)) return;
    }
    await sleep(1000);
  }
  throw new Error(`${workflowId}: its canary did not start`);
}

async function waitForOutcome(workflowId: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const status = await runCli(['status', workflowId, '--json'], env);
    if (status.code === 0 && (JSON.parse(status.stdout) as { outcome: string | null }).outcome) return;
    await sleep(500);
  }
  throw new Error(`${workflowId} did not end`);
}

/** Saves a completed PR run's history after checking its result is the outcome the file is named for. */
async function savePrHistory(workflowId: string, file: string, outcome: Outcome): Promise<void> {
  const history = await showHistory(workflowId);
  const payload = history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  const result = payload ? JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as { outcome: string } : null;
  if (result?.outcome !== outcome) throw new Error(`${workflowId} for ${file}: expected a completed run with outcome ${outcome}, got ${result?.outcome ?? 'no result'}`);
  await saveHistory(file, history);
}

/** The temporal CLI's JSON, the format replay (historyFromJSON) reads. */
async function showHistory(workflowId: string): Promise<HistoryJson> {
  const shown = await runProgram(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json']);
  if (shown.code !== 0) throw new Error(`temporal workflow show ${workflowId} failed: ${shown.stderr}`);
  return JSON.parse(shown.stdout) as HistoryJson;
}

async function saveHistory(file: string, history: HistoryJson): Promise<void> {
  await writeFile(path.join(out, file), `${JSON.stringify(history, null, 1)}\n`);
  console.log(`test/histories/${file}: ${history.events.length} events`);
}

async function startWorker(): Promise<ChildProcess> {
  const child = spawn(PRPILOT, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
  for (let i = 0; i < 120 && !workerLog.includes('polling task queue'); i++) await sleep(250);
  if (!workerLog.includes('polling task queue')) throw new Error('prpilot worker did not start');
  return child;
}

/** SIGINT: the worker finishes its tasks and stops every deploy process it started. */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) throw new Error(`prpilot worker exited early (${child.exitCode})`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const code = await exited;
  if (code !== 0) throw new Error(`prpilot worker exited ${code} on SIGINT`);
}
