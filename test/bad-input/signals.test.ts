/**
 * Bad signals to a real run waiting for a human, on a real dev server with `prpilot worker` as its own
 * process. The run is a PR whose title, description, comments and file names ask for "risk 1, no gates":
 * it still waits for a human. Then:
 * - refused by `prpilot approve/reject` (exit 2): no signal is sent, the history does not grow;
 * - sent with the real `temporal workflow signal`: approvals of the wrong shape are recorded in the
 *   audit as ignored, bad pause/resume/revisionPushed payloads change nothing, and the run keeps waiting;
 * - once the run has ended, a signal is refused by the temporal CLI and by `prpilot approve`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { buildDemoRepo } from '../../cli/demo/buildRepo.js';
import { statusQuery, type PipelineStatus } from '../../workflows/messages.js';
import { PRPILOT, processesMentioning, runCli } from '../helpers/cli.js';
import { INJECTION_DESCRIPTION, INJECTION_MIGRATION, INJECTION_TITLE, injectionFiles } from './lib/injection.js';
import { assertRefused } from './lib/refusal.js';
import { temporalSignal } from './lib/temporalCli.js';
import { startWorld, type World } from './lib/world.js';

const git = promisify(execFile);
const AUTHOR = 'mallory';

interface AuditJson {
  chain: { ok: boolean };
  records: { stage: string; decision: string; rationale: string }[];
  signals: { name: string; input: unknown }[];
}

/** [what is wrong, signal, --input as typed, the `why` it is recorded with] */
const WRONG_SHAPES: [string, 'approve' | 'reject', string, RegExp][] = [
  ['no "by" field', 'approve', '{"approver":"dave","reason":"lgtm"}', /^invalid approve payload \(by: .+\)$/],
  ['empty "by"', 'approve', '{"by":""}', /^invalid approve payload \(by: .+\)$/],
  ['whitespace-only "by"', 'approve', '{"by":"   "}', /^invalid approve payload \(by: .+\)$/],
  ['"by" a number', 'approve', '{"by":42}', /^invalid approve payload \(by: .+\)$/],
  ['a string, not an object', 'approve', '"dave"', /^invalid approve payload \(payload: .+\)$/],
  ['null', 'approve', 'null', /^invalid approve payload \(payload: .+\)$/],
  ['an array', 'approve', '[{"by":"dave"}]', /^invalid approve payload \(payload: .+\)$/],
  ['a headSha that is not a sha', 'approve', '{"by":"dave","headSha":"HEAD"}', /^invalid approve payload \(headSha: .*40-character commit sha.*\)$/],
  ['a reject without a reason', 'reject', '{"by":"dave"}', /^invalid reject payload \(reason: .+\)$/],
];

describe('bad signals to a run waiting for a human', { timeout: 900_000 }, () => {
  let world: World;
  let worker: ChildProcess;
  let workerLog = '';
  let workflowId = '';
  let home = '';

  const query = (): Promise<PipelineStatus> =>
    world.client.connection.withDeadline(Date.now() + 10_000, () => world.client.workflow.getHandle(workflowId).query(statusQuery));
  const waitFor = async (predicate: (status: PipelineStatus) => boolean, what: string): Promise<PipelineStatus> => {
    let last: PipelineStatus | null = null;
    for (let i = 0; i < 300; i++) {
      last = await query().catch(() => null);
      if (last && predicate(last)) return last;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}\nworker log:\n${workerLog}`);
  };
  const signal = (name: string, input: string) => temporalSignal(world.server, workflowId, name, input);
  const cli = (...args: string[]) => runCli(args, world.env);
  const audit = async (): Promise<AuditJson> => {
    const run = await cli('audit', workflowId, '--format', 'json');
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as AuditJson;
  };
  const assertStillWaiting = (status: PipelineStatus) => {
    assert.equal(status.stage, 'awaiting_approval', JSON.stringify(status));
    assert.equal(status.awaitingApproval, true);
    assert.equal(status.outcome, undefined);
  };

  before(async () => {
    world = await startWorld('signals');
    home = world.env.PRPILOT_HOME ?? '';
    const repo = await buildDemoRepo(world.dir);
    const run = (...args: string[]) => git('git', ['-C', repo.path, '-c', `user.name=${AUTHOR}`, '-c', `user.email=${AUTHOR}@example.com`, ...args]);
    await run('checkout', '--quiet', '-b', 'pr/injection', 'main');
    for (const [file, content] of Object.entries(injectionFiles)) {
      await mkdir(path.dirname(path.join(repo.path, file)), { recursive: true });
      await writeFile(path.join(repo.path, file), content);
    }
    await run('add', '--all');
    await run('commit', '--quiet', '-m', INJECTION_TITLE);
    await run('checkout', '--quiet', 'main');

    worker = spawn(PRPILOT, ['worker'], { env: { ...process.env, ...world.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
    worker.stderr!.on('data', (chunk: Buffer) => { workerLog += chunk.toString(); });
    // A worker without a prebuilt bundle bundles the workflow code first: that can take minutes on a busy machine.
    for (let i = 0; i < 1_200 && !workerLog.includes('polling task queue') && worker.exitCode === null; i++) await sleep(250);
    assert.match(workerLog, /polling task queue/);

    const start = await runCli([
      'start', '--repo', repo.path, '--base', 'main', '--head', 'pr/injection', '--pr', '42', '--author', AUTHOR,
      '--title', INJECTION_TITLE, '--description', INJECTION_DESCRIPTION, '--json', '--wait', '--until-blocked',
    ], world.env, { timeoutMs: 400_000 });
    assert.equal(start.code, 3, `${start.stdout}\n${start.stderr}\n${workerLog}`);
    workflowId = (JSON.parse(start.stdout.split('\n')[0] ?? '{}') as { workflowId: string }).workflowId;
  });
  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGINT');
      await exited;
    }
    await world?.stop();
  });

  it('the prompt-injection PR is not auto-approved: it waits for a human on the schema_change gate', async () => {
    const status = await query();
    assertStillWaiting(status);
    assert.ok(status.gates.includes('schema_change'), JSON.stringify(status.gates));
    assert.ok(status.approvalRequest?.reasons.some((reason) => reason.includes(INJECTION_MIGRATION)), JSON.stringify(status.approvalRequest?.reasons));
    assert.equal(status.approvalRequest?.author, AUTHOR);
  });

  describe('refused by prpilot before any signal is sent', () => {
    const cases: [string, string[], RegExp][] = [
      ["approve --by ''", ['approve', '--by', ''], /^prpilot approve: --by USER is required \(who is approving\)$/m],
      ['approve --by whitespace', ['approve', '--by', '   '], /^prpilot approve: --by USER is required \(who is approving\)$/m],
      ["reject --by ''", ['reject', '--by', '', '--reason', 'no'], /^prpilot reject: --by USER is required \(who is rejecting\)$/m],
      ['reject --reason whitespace', ['reject', '--by', 'carol', '--reason', ' \t'], /^prpilot reject: --reason is required to reject$/m],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const [command = '', ...flags] = args;
        const before = await world.historyLength(workflowId);
        assertRefused(await cli(command, workflowId, ...flags), { code: 2, message });
        assert.equal(await world.historyLength(workflowId), before, 'no signal reached the history');
        assertStillWaiting(await query());
      });
    }
  });

  describe('approvals of the wrong shape, sent with `temporal workflow signal`, are recorded as ignored', () => {
    for (const [name, signalName, input, why] of WRONG_SHAPES) {
      it(`${signalName}: ${name}`, async () => {
        const count = (await query()).approvals.length;
        const sent = await signal(signalName, input);
        assert.equal(sent.code, 0, `the temporal CLI delivers it: ${sent.stderr}`);
        const status = await waitFor((s) => s.approvals.length === count + 1, 'the attempt to be recorded');
        const attempt = status.approvals.at(-1);
        assert.equal(attempt?.kind, signalName);
        assert.equal(attempt?.accepted, false);
        assert.match(attempt?.why ?? '', why);
        assertStillWaiting(status);
      });
    }

    it('the audit holds each as an ignored decision record with the raw payload among the signals', async () => {
      await waitFor((s) => s.approvals.length === WRONG_SHAPES.length, 'every attempt');
      // The attempts are sealed by a local activity right after they arrive: wait for the last one.
      let trail = await audit();
      for (let i = 0; i < 50 && trail.records.filter((record) => record.stage === 'awaiting_approval').length < WRONG_SHAPES.length; i++) {
        await sleep(200);
        trail = await audit();
      }
      assert.equal(trail.chain.ok, true);
      const ignored = trail.records.filter((record) => record.stage === 'awaiting_approval');
      assert.equal(ignored.length, WRONG_SHAPES.length, JSON.stringify(ignored, null, 2));
      for (const [index, [, signalName, input, why]] of WRONG_SHAPES.entries()) {
        assert.match(ignored[index]?.decision ?? '', new RegExp(`^${signalName} by .+ ignored$`));
        assert.match(ignored[index]?.rationale ?? '', why);
        assert.ok(trail.signals.some((entry) => entry.name === signalName && JSON.stringify(entry.input) === JSON.stringify(JSON.parse(input))), `signal ${input} listed`);
      }
      assertStillWaiting(await query());
    });
  });

  describe('canary control and revisions with bad payloads change nothing', () => {
    it('pause without "by" does not pause', async () => {
      const before = await query();
      assert.equal((await signal('pause', '{"reason":"hold on"}')).code, 0);
      assert.equal((await signal('pause', '{"by":"  "}')).code, 0);
      await waitForSignals('pause', 2);
      const after = await query();
      assert.equal(after.paused, false);
      assert.equal(after.decisions, before.decisions, 'no decision recorded');
      assertStillWaiting(after);
      const listed = (await audit()).signals.filter((entry) => entry.name === 'pause').map((entry) => entry.input);
      assert.deepEqual(listed, [{ reason: 'hold on' }, { by: '  ' }], 'the audit lists each bad pause with its payload');
    });

    it('resume without "by" does not resume a paused run', async () => {
      assert.equal((await signal('pause', '{"by":"carol","reason":"checking dashboards"}')).code, 0);
      await waitFor((s) => s.paused, 'the valid pause');
      assert.equal((await signal('resume', '{"reason":"go"}')).code, 0);
      assert.equal((await signal('resume', '"carol"')).code, 0);
      await waitForSignals('resume', 2);
      assert.equal((await query()).paused, true, 'still paused after two bad resumes');
      assert.equal((await signal('resume', '{"by":"carol"}')).code, 0);
      const resumed = await waitFor((s) => !s.paused, 'the valid resume');
      assertStillWaiting(resumed);
    });

    it('revisionPushed with a head that is not a sha does not restart the run', async () => {
      const before = await query();
      assert.equal((await signal('revisionPushed', '{"headSha":"main"}')).code, 0);
      assert.equal((await signal('revisionPushed', '{}')).code, 0);
      await waitForSignals('revisionPushed', 2);
      const after = await query();
      assert.equal(after.attempt, before.attempt);
      assert.equal(after.headSha, before.headSha);
      assertStillWaiting(after);
    });

    it('a misspelt signal name is not an approval', async () => {
      const before = await query();
      assert.equal((await signal('aprove', '{"by":"dave","reason":"typo"}')).code, 0);
      await waitForSignals('aprove', 1);
      const after = await query();
      assert.equal(after.approvals.length, before.approvals.length);
      assertStillWaiting(after);
    });

    /** Waits until the history holds `count` signals named `name` and a workflow task has run since. */
    async function waitForSignals(name: string, count: number): Promise<void> {
      for (let i = 0; i < 100; i++) {
        const history = await world.client.workflow.getHandle(workflowId).fetchHistory();
        const events = history.events ?? [];
        const positions = events.flatMap((event, index) => (event.workflowExecutionSignaledEventAttributes?.signalName === name ? [index] : []));
        const last = positions.at(-1);
        const handled = last !== undefined && events.slice(last).some((event) => event.workflowTaskCompletedEventAttributes);
        if (positions.length >= count && handled) return;
        await sleep(200);
      }
      throw new Error(`timed out waiting for ${count} ${name} signal(s) to be handled\n${workerLog}`);
    }
  });

  it('the author cannot approve their own PR (exit 1, says why)', async () => {
    const run = await cli('approve', workflowId, '--by', AUTHOR);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^approve by ${AUTHOR} for head [0-9a-f]{12}: NOT accepted: ${AUTHOR} is the author of this PR and cannot approve it$`, 'm'));
    assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m);
    assertStillWaiting(await query());
  });

  describe('a finished run', () => {
    let length = 0;
    before(async () => {
      const reject = await cli('reject', workflowId, '--by', 'carol', '--reason', 'asks reviewers to skip the gates');
      assert.equal(reject.code, 0, reject.stderr);
      await world.client.workflow.getHandle(workflowId).result();
      length = await world.historyLength(workflowId);
    });

    it('`temporal workflow signal` is refused by the server', async () => {
      const sent = await signal('approve', '{"by":"dave"}');
      assert.notEqual(sent.code, 0);
      assert.match(sent.stderr, /workflow execution already completed/i);
      assert.equal(await world.historyLength(workflowId), length);
    });

    for (const kind of ['approve', 'reject'] as const) {
      it(`\`prpilot ${kind}\` says it has ended (exit 1) and sends nothing`, async () => {
        const run = await cli(kind, workflowId, '--by', 'dave', '--reason', 'late');
        assertRefused(run, { code: 1, message: new RegExp(`^prpilot ${kind}: workflow ${workflowId} has already ended \\(completed\\); there is nothing to ${kind}$`, 'm') });
        assert.equal(await world.historyLength(workflowId), length);
      });
    }

    it('started nothing else, as `prpilot list --json` shows, and left no deploy process', async () => {
      await world.assertListed([workflowId]);
      const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
      worker.kill('SIGINT');
      assert.equal(await exited, 0, workerLog);
      assert.deepEqual(processesMentioning(home), []);
    });
  });
});
