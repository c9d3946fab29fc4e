import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../activities/process/runCommand.js';
import { startCommandOwner } from '../helpers/commandOwner.js';
import { pidAlive, waitAllDead } from '../helpers/processes.js';

const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'prpilot-run-')));
after(() => rmSync(cwd, { recursive: true, force: true }));
const sh = (script: string) => ['sh', '-c', script];

/** Starts a background grandchild that does not hold the output pipes, and records its pid. */
const withGrandchild = (pidFile: string) => sh(`sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}; sleep 30`);
const readPid = (pidFile: string): number => {
  assert.ok(existsSync(pidFile), `the command never wrote ${pidFile}`);
  return Number(readFileSync(pidFile, 'utf8').trim());
};
const grandchildPid = readPid;
const killIfAlive = (pid: number) => {
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
};

describe('runCommand', () => {
  const exits: [string, number][] = [['exit 0', 0], ['exit 3', 3], ['false', 1]];
  for (const [script, code] of exits) {
    it(`captures exit code ${code} of ${JSON.stringify(script)}`, async () => {
      const result = await runCommand(sh(script), { cwd, timeoutMs: 5_000 });
      assert.equal(result.exitCode, code);
      assert.equal(result.timedOut, false);
      assert.equal(result.cancelled, false);
    });
  }

  it('captures stdout and stderr, in the given directory', async () => {
    const result = await runCommand(sh('echo out; echo err >&2; pwd'), { cwd, timeoutMs: 5_000 });
    assert.match(result.output, /out\n/);
    assert.match(result.output, /err\n/);
    assert.match(result.output, new RegExp(`${cwd}\n`));
  });

  it('keeps the end of output past maxOutputBytes', async () => {
    const result = await runCommand(sh('i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i+1)); done'), { cwd, timeoutMs: 5_000, maxOutputBytes: 100 });
    assert.match(result.output, /^\[\.\.\. earlier output truncated \.\.\.\]\n/);
    assert.match(result.output, /line199\n$/);
    assert.doesNotMatch(result.output, /line0\n/);
  });

  it('ticks while the command runs', async () => {
    let ticks = 0;
    await runCommand(['sleep', '0.3'], { cwd, timeoutMs: 5_000, tickMs: 50, onTick: () => { ticks += 1; } });
    assert.ok(ticks >= 2, `ticked ${ticks} times`);
  });

  it('on timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = join(cwd, 'timeout.pid');
    // Long enough for the group leader (a node process) to start the command on a busy machine.
    const result = await runCommand(withGrandchild(pidFile), { cwd, timeoutMs: 2_000 });
    const pid = grandchildPid(pidFile);
    try {
      assert.equal(result.timedOut, true);
      assert.equal(result.cancelled, false);
      assert.equal(result.exitCode, null);
      assert.ok(result.durationMs < 5_000, `took ${result.durationMs} ms`);
      assert.deepEqual(await waitAllDead([pid], 1_000), [], `grandchild ${pid} survived`);
    } finally {
      killIfAlive(pid);
    }
  });

  it('on abort cancels the command and its grandchildren', async () => {
    const pidFile = join(cwd, 'abort.pid');
    const controller = new AbortController();
    const abortOnceStarted = setInterval(() => { if (existsSync(pidFile)) controller.abort(); }, 50);
    const result = await runCommand(withGrandchild(pidFile), { cwd, timeoutMs: 10_000, signal: controller.signal })
      .finally(() => clearInterval(abortOnceStarted));
    const pid = grandchildPid(pidFile);
    try {
      assert.equal(result.cancelled, true);
      assert.equal(result.timedOut, false);
      assert.ok(result.durationMs < 5_000, `took ${result.durationMs} ms`);
      assert.deepEqual(await waitAllDead([pid], 1_000), [], `grandchild ${pid} survived`);
    } finally {
      killIfAlive(pid);
    }
  });

  // An 'abort' listener alone would never fire for a signal aborted before the call: runCommand checks first.
  it('does not run a command whose signal is already aborted', async () => {
    const result = await runCommand(['sleep', '5'], { cwd, timeoutMs: 1_000, signal: AbortSignal.abort() });
    assert.equal(result.cancelled, true);
    assert.equal(result.timedOut, false);
  });

  it('when its owner is SIGKILLed mid-command, the command and its grandchildren are stopped', async () => {
    const [commandFile, grandchildFile] = [join(cwd, 'owned.pid'), join(cwd, 'owned-grandchild.pid')];
    const owner = startCommandOwner(sh(`sleep 60 >/dev/null 2>&1 & echo $! > ${grandchildFile}; echo $$ > ${commandFile}; sleep 60`), cwd);
    const pids: number[] = [];
    try {
      for (let waited = 0; !(existsSync(commandFile) && existsSync(grandchildFile)) && waited < 15_000; waited += 50) await sleep(50);
      pids.push(readPid(commandFile), readPid(grandchildFile));
      assert.deepEqual(pids.filter(pidAlive), pids, 'the command runs while its owner lives');
      owner.kill('SIGKILL');
      assert.deepEqual(await waitAllDead(pids, 5_000), [], 'the command outlived its owner');
    } finally {
      owner.kill('SIGKILL');
      pids.forEach(killIfAlive);
    }
  });

  it('rejects, naming the program, when it cannot be started', async () => {
    await assert.rejects(runCommand(['prpilot-no-such-program', '--flag'], { cwd, timeoutMs: 5_000 }), /could not run "prpilot-no-such-program --flag" in .*ENOENT/);
  });

  it('rejects an empty argv', async () => {
    await assert.rejects(async () => runCommand([], { cwd, timeoutMs: 5_000 }), /empty argv/);
  });
});
