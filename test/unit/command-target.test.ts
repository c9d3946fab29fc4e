/**
 * The command deploy target with real scripts (test/fixtures/command-target/deploy) in temp checkouts and
 * real processes: the PRPILOT_* environment, idempotency across calls and worker restarts, failures,
 * timeouts, captured output.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createArtifactStore } from '../../activities/artifacts/store.js';
import { serviceConfigSchema } from '../../config/schema.js';
import type { CanaryDeploySpec } from '../../targets/deployTarget.js';
import { commandTargetConfigSchema, type CommandTargetConfigInput } from '../../targets/command/config.js';
import { readLedger } from '../../targets/command/ledger.js';
import { runScript } from '../../targets/command/runScript.js';
import { CommandTargetError, createCommandTarget, type CommandTarget, type CommandTargetOptions } from '../../targets/command/target.js';
import { startCommandOwner } from '../helpers/commandOwner.js';
import { pidAlive, waitAllDead } from '../helpers/processes.js';
import { waitUntil } from '../faults/lib/wait.js';
import type { DyingWorkerInput } from '../fixtures/command-target/dying-worker.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixtureDir = fileURLToPath(new URL('../fixtures/command-target/', import.meta.url));
const root = realpathSync(mkdtempSync(join(tmpdir(), 'prpilot-command-target-')));
const stableDir = join(root, 'stable');
const canaryDir = join(root, 'canary');
const artifacts = createArtifactStore(join(root, 'artifacts'));
cpSync(join(fixtureDir, 'deploy'), join(stableDir, 'deploy'), { recursive: true });
cpSync(join(fixtureDir, 'deploy'), join(canaryDir, 'deploy'), { recursive: true });
// The PR's own copy of the hook: it must never be the one that runs.
writeFileSync(join(canaryDir, 'deploy', 'ok.sh'), '#!/bin/sh\necho "the canary\'s own ok.sh ran" >&2\nexit 42\n', { mode: 0o755 });

const STABLE_SHA = 'a'.repeat(40);
const CANARY_SHA = 'b'.repeat(40);
const stray: number[] = [];

after(() => {
  for (const pid of stray.filter(pidAlive)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function spec(overrides: Partial<CanaryDeploySpec> = {}): CanaryDeploySpec {
  return {
    service: serviceConfigSchema.parse({ name: 'orders', start: ['node', 'server.js'] }),
    stable: { label: 'stable', sha: STABLE_SHA, dir: stableDir },
    canary: { label: 'canary', sha: CANARY_SHA, dir: canaryDir },
    percent: 5,
    requestsPerSecond: 10,
    paths: ['/'],
    ...overrides,
  };
}

interface Invocation {
  script: string;
  cwd: string;
  step: string;
  deploymentId: string;
  service: string;
  version: string;
  stableVersion: string;
  canaryDir: string;
  stableDir: string;
  percent: string;
  key: string;
  extra: string;
  anthropic: string;
  pid: number;
}

/** One test's world: its own state dir, record file and deployment id. */
function world(name: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const recordFile = join(dir, 'calls.jsonl');
  const stateDir = join(dir, 'state');
  const ok = ['./deploy/ok.sh'];
  const baseConfig = { deployCanary: ok, setWeight: ok, promote: ok, rollback: ok, stop: ok, timeoutSeconds: 30 };
  return {
    dir,
    stateDir,
    deploymentId: `pr-local-${name}-r1`,
    /** A target (a "worker"); config fields and options override the defaults. */
    target(config: Partial<CommandTargetConfigInput> = {}, options: Partial<CommandTargetOptions> = {}): CommandTarget {
      return createCommandTarget({
        config: { ...baseConfig, ...config, env: { RECORD_FILE: recordFile, DEPLOY_EXTRA: 'from-config', ...config.env } },
        stateDir,
        artifacts,
        logDir: join(dir, 'logs'),
        graceMs: 500,
        // The worker's own secrets must not reach the scripts.
        baseEnv: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-not-for-scripts', PRPILOT_ENCRYPTION_KEY: 'not-for-scripts' },
        ...options,
      });
    },
    calls(): Invocation[] {
      if (!existsSync(recordFile)) return [];
      return readFileSync(recordFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Invocation);
    },
  };
}

const isCode = (code: string, retryable: boolean) => (error: unknown): boolean => {
  assert.ok(error instanceof CommandTargetError, `expected a CommandTargetError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.equal(error.retryable, retryable);
  return true;
};

describe('command target', () => {
  test('runs each step with the PRPILOT_* environment, from the stable checkout', async () => {
    const w = world('env');
    const target = w.target();
    const id = w.deploymentId;
    assert.equal(target.kind, 'command');

    const started = await target.startCanary(id, spec());
    assert.deepEqual({ url: started.url, alreadyDone: started.alreadyDone }, { url: 'http://orders-canary.example.test', alreadyDone: false });
    await target.setCanaryPercent(id, 25);
    await target.promote(id);
    await target.stop(id);

    const calls = w.calls();
    assert.deepEqual(calls.map((call) => [call.step, call.key, call.percent]), [
      ['deploy-canary', `${id}:deploy-canary`, '5'],
      ['set-weight', `${id}:set-weight:25`, '25'],
      ['promote', `${id}:promote`, 'unset'],
      ['stop', `${id}:stop`, 'unset'],
    ]);
    for (const call of calls) {
      assert.equal(call.deploymentId, id);
      assert.equal(call.service, 'orders');
      assert.equal(call.version, CANARY_SHA);
      assert.equal(call.stableVersion, STABLE_SHA);
      assert.equal(call.canaryDir, canaryDir);
      assert.equal(call.stableDir, stableDir);
      assert.equal(call.script, join(stableDir, 'deploy', 'ok.sh'));
      assert.equal(call.cwd, stableDir);
      assert.equal(call.extra, 'from-config');
      assert.equal(call.anthropic, 'unset');
    }
  });

  test('a relative argv[0] resolves against the stable checkout; a missing one is a config error', async () => {
    const w = world('relative');
    await w.target().startCanary(w.deploymentId, spec());
    assert.equal(w.calls()[0]?.script, join(stableDir, 'deploy', 'ok.sh'), 'the base commit\'s script ran, not the PR\'s');

    const missing = w.target({ setWeight: ['./deploy/not-there.sh'] });
    await assert.rejects(missing.setCanaryPercent(w.deploymentId, 10), (error: unknown) => {
      isCode('invalid_config', false)(error);
      assert.match((error as Error).message, /deploy\.command\.setWeight: \.\/deploy\/not-there\.sh is not an executable file/);
      assert.match((error as Error).message, /stable checkout/);
      return true;
    });
  });

  test('a step called again under the same key does not run again, and says alreadyDone', async () => {
    const w = world('idempotent');
    const target = w.target();
    const first = await target.startCanary(w.deploymentId, spec());
    const again = await target.startCanary(w.deploymentId, spec());
    assert.deepEqual(again, { ...first, alreadyDone: true });

    const weight = await target.setCanaryPercent(w.deploymentId, 25);
    const weightAgain = await target.setCanaryPercent(w.deploymentId, 25);
    assert.equal(weight.alreadyDone, false);
    assert.deepEqual(weightAgain, { outputSha256: weight.outputSha256, alreadyDone: true });
    assert.deepEqual(w.calls().map((call) => call.step), ['deploy-canary', 'set-weight']);
  });

  test('a restarted worker (a new target over the same state dir) skips completed steps and knows the spec', async () => {
    const w = world('restart');
    const before = w.target();
    await before.startCanary(w.deploymentId, spec());
    await before.setCanaryPercent(w.deploymentId, 25);

    const restarted = w.target();
    assert.equal((await restarted.setCanaryPercent(w.deploymentId, 25)).alreadyDone, true);
    assert.equal((await restarted.promote(w.deploymentId)).alreadyDone, false);
    const calls = w.calls();
    assert.deepEqual(calls.map((call) => call.step), ['deploy-canary', 'set-weight', 'promote']);
    const promote = calls[2];
    assert.ok(promote);
    assert.deepEqual([promote.version, promote.stableVersion, promote.stableDir], [CANARY_SHA, STABLE_SHA, stableDir]);
  });

  test('a worker killed mid-step: the next worker runs the step again under the same key', async () => {
    const w = world('crash');
    const hangOnce = join(w.dir, 'hang-once');
    const pidFile = join(w.dir, 'script.pid');
    writeFileSync(hangOnce, '');
    const config = {
      deployCanary: ['./deploy/hang-once.sh'], setWeight: ['./deploy/ok.sh'], promote: ['./deploy/ok.sh'], rollback: ['./deploy/ok.sh'],
      env: { RECORD_FILE: join(w.dir, 'calls.jsonl'), DEPLOY_EXTRA: 'x', HANG_ONCE: hangOnce, PID_FILE: pidFile },
    };
    const input: DyingWorkerInput = { config, stateDir: w.stateDir, artifactsDir: join(root, 'artifacts'), deploymentId: w.deploymentId, spec: spec() };
    const worker = spawn(process.execPath, ['--import', tsx, join(fixtureDir, 'dying-worker.ts'), JSON.stringify(input)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const workerExited = new Promise((resolve) => worker.once('exit', resolve));
    assert.ok(worker.pid);
    stray.push(worker.pid);
    while (!existsSync(pidFile)) {
      assert.equal(worker.exitCode, null, 'the stand-in worker died before its script started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const scriptPid = Number(readFileSync(pidFile, 'utf8').trim());
    stray.push(scriptPid);
    worker.kill('SIGKILL');
    await workerExited;
    assert.deepEqual(await waitAllDead([scriptPid]), [], 'the dead worker\'s script is stopped by its group\'s leader');

    const crashed = await readLedger(w.stateDir, w.deploymentId);
    assert.deepEqual(crashed?.entries.map((entry) => [entry.step, entry.status]), [['deploy-canary', 'started']]);

    const next = await w.target(config).startCanary(w.deploymentId, spec());
    assert.deepEqual(next, { outputSha256: next.outputSha256, alreadyDone: false, url: 'http://after-crash.example.test' });
    const calls = w.calls();
    assert.deepEqual(calls.map((call) => call.key), [`${w.deploymentId}:deploy-canary`, `${w.deploymentId}:deploy-canary`]);
    const ledger = await readLedger(w.stateDir, w.deploymentId);
    assert.deepEqual(ledger?.entries.map((entry) => [entry.status, entry.attempts]), [['completed', 2]]);
  });

  test('a failing script: a retryable step_failed naming the step, the exit code and the output tail', async () => {
    const w = world('fail');
    await w.target().startCanary(w.deploymentId, spec());
    const failing = w.target({ setWeight: ['./deploy/fail.sh'] });
    let failure: CommandTargetError | undefined;
    await assert.rejects(failing.setCanaryPercent(w.deploymentId, 25), (error: unknown) => {
      isCode('step_failed', true)(error);
      failure = error as CommandTargetError;
      assert.match(failure.message, /set-weight/);
      assert.match(failure.message, /exited with code 3/);
      assert.match(failure.message, /boom: the traffic router said no/);
      return true;
    });
    assert.ok(failure?.outputSha256, 'the failed run\'s output is in the artifact store');
    assert.match(await artifacts.getText(failure.outputSha256), /fail\.sh: applying weight/);

    // Not recorded as done: the retry runs the script again, under the same key.
    await assert.rejects(failing.setCanaryPercent(w.deploymentId, 25), isCode('step_failed', true));
    const weights = w.calls().filter((call) => call.step === 'set-weight');
    assert.deepEqual(weights.map((call) => call.key), [`${w.deploymentId}:set-weight:25`, `${w.deploymentId}:set-weight:25`]);
  });

  test('a script that fails once succeeds on the retry, under the same key', async () => {
    const w = world('flaky');
    const target = w.target({ promote: ['./deploy/flaky.sh'], env: { FLAKY_MARKER: join(w.dir, 'failed-once') } });
    await target.startCanary(w.deploymentId, spec());
    await assert.rejects(target.promote(w.deploymentId), isCode('step_failed', true));
    assert.equal((await target.promote(w.deploymentId)).alreadyDone, false);
    assert.equal((await target.promote(w.deploymentId)).alreadyDone, true);
    const promotes = w.calls().filter((call) => call.step === 'promote');
    assert.deepEqual(promotes.map((call) => call.key), [`${w.deploymentId}:promote`, `${w.deploymentId}:promote`]);
  });

  test('a hanging script is killed after timeoutSeconds, with its whole process group', async () => {
    const w = world('hang');
    const pidFile = join(w.dir, 'hang.pids');
    const target = w.target({ setWeight: ['./deploy/hang.sh'], timeoutSeconds: 1, env: { PID_FILE: pidFile } });
    await target.startCanary(w.deploymentId, spec());
    await assert.rejects(target.setCanaryPercent(w.deploymentId, 50), (error: unknown) => {
      isCode('step_timeout', true)(error);
      assert.match((error as Error).message, /set-weight .* timed out after 1s/);
      assert.match((error as Error).message, /hang\.sh: waiting forever/);
      return true;
    });
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    assert.equal(pids.length, 2);
    stray.push(...pids);
    assert.deepEqual(await waitAllDead(pids), [], 'the script and its child (both ignoring SIGTERM) are gone');
  });

  test('output is captured as an artifact, bounded, and the report carries its sha256', async () => {
    const w = world('artifact');
    const started = await w.target().startCanary(w.deploymentId, spec());
    assert.ok(started.outputSha256);
    const output = await artifacts.getText(started.outputSha256);
    assert.match(output, /marker-deploy-canary-output/);
    assert.match(output, /ok\.sh: a warning on stderr/);
    assert.match(output, /step: deploy-canary \(key pr-local-artifact-r1:deploy-canary, attempt 1\)/);
    assert.match(output, /result: exit code 0/);

    const small = await w.target({}, { maxOutputBytes: 16 }).setCanaryPercent(w.deploymentId, 10);
    assert.ok(small.outputSha256);
    const bounded = await artifacts.getText(small.outputSha256);
    assert.match(bounded, /earlier bytes dropped/);
    assert.ok(Buffer.byteLength(bounded.slice(bounded.indexOf('):\n') + 3)) <= 16, bounded);
    assert.match(readFileSync(join(w.dir, 'logs', w.deploymentId, 'deploy-canary.log'), 'utf8'), /marker-deploy-canary-output/);
  });

  test('set-weight with different percents are different keys; going back to a percent is a new step', async () => {
    const w = world('weights');
    const target = w.target();
    await target.startCanary(w.deploymentId, spec());
    for (const percent of [25, 50, 25]) assert.equal((await target.setCanaryPercent(w.deploymentId, percent)).alreadyDone, false);
    assert.equal((await target.setCanaryPercent(w.deploymentId, 25)).alreadyDone, true, 'the latest step, retried');
    const id = w.deploymentId;
    assert.deepEqual(w.calls().filter((call) => call.step === 'set-weight').map((call) => [call.key, call.percent]), [
      [`${id}:set-weight:25`, '25'],
      [`${id}:set-weight:50`, '50'],
      [`${id}:set-weight:25#2`, '25'],
    ]);
    await assert.rejects(target.setCanaryPercent(id, 150), isCode('invalid_argument', false));
  });

  test('concurrent calls for one deployment are serialised, even through two targets: the script runs once', async () => {
    const w = world('concurrent');
    const target = w.target();
    await target.startCanary(w.deploymentId, spec());
    const reports = await Promise.all([
      target.setCanaryPercent(w.deploymentId, 25),
      target.setCanaryPercent(w.deploymentId, 25),
      w.target().setCanaryPercent(w.deploymentId, 25),
    ]);
    assert.deepEqual(reports.map((report) => report.alreadyDone).sort(), [false, true, true]);
    assert.equal(w.calls().filter((call) => call.step === 'set-weight').length, 1);
  });

  test('rollback reports stableHealthy from the script (true unless it says otherwise)', async () => {
    const healthy = world('rollback-healthy');
    await healthy.target().startCanary(healthy.deploymentId, spec());
    const report = await healthy.target().rollback(healthy.deploymentId);
    assert.equal(report.stableHealthy, true);
    assert.ok(report.outputSha256);

    const unhealthy = world('rollback-unhealthy');
    const target = unhealthy.target({ env: { STABLE_UNHEALTHY: '1' } });
    await target.startCanary(unhealthy.deploymentId, spec());
    assert.equal((await target.rollback(unhealthy.deploymentId)).stableHealthy, false);
    const again = await target.rollback(unhealthy.deploymentId);
    assert.deepEqual([again.alreadyDone, again.stableHealthy], [true, false], 'the recorded answer, not a default');
  });

  test('unknown deployments: set-weight and promote refuse; rollback and stop are no-ops', async () => {
    const w = world('unknown');
    const target = w.target();
    await assert.rejects(target.setCanaryPercent(w.deploymentId, 25), isCode('unknown_deployment', false));
    await assert.rejects(target.promote(w.deploymentId), isCode('unknown_deployment', false));
    assert.deepEqual(await target.rollback(w.deploymentId), { outputSha256: null, alreadyDone: false, stableHealthy: true });
    assert.deepEqual(await target.stop(w.deploymentId), { outputSha256: null, alreadyDone: false });
    assert.deepEqual(w.calls(), []);
  });

  test('steps that contradict the ledger are refused', async () => {
    const w = world('contradict');
    const target = w.target();
    await target.startCanary(w.deploymentId, spec());
    await assert.rejects(target.startCanary(w.deploymentId, spec({ canary: { label: 'canary', sha: 'c'.repeat(40), dir: canaryDir } })), isCode('invalid_argument', false));
    await target.rollback(w.deploymentId);
    await assert.rejects(target.promote(w.deploymentId), isCode('invalid_state', false));
    await assert.rejects(target.setCanaryPercent(w.deploymentId, 50), isCode('invalid_state', false));
    await target.stop(w.deploymentId);
    assert.equal((await target.stop(w.deploymentId)).alreadyDone, true);
    assert.deepEqual(w.calls().map((call) => call.step), ['deploy-canary', 'rollback', 'stop']);
  });

  test('config: defaults, PRPILOT_* env refused, errors name the field', () => {
    const parsed = commandTargetConfigSchema.parse({ deployCanary: ['a'], setWeight: ['b'], promote: ['c'], rollback: ['d'] });
    assert.equal(parsed.timeoutSeconds, 300);
    assert.deepEqual(parsed.env, {});
    assert.equal(parsed.stop, undefined);
    const w = world('config');
    assert.throws(() => w.target({ env: { PRPILOT_STEP: 'x' } }), (error: unknown) => {
      isCode('invalid_config', false)(error);
      assert.match((error as Error).message, /deploy\.command\.env\.PRPILOT_STEP/);
      return true;
    });
    assert.throws(() => w.target({ promote: ['./../outside.sh'] }), /deploy\.command\.promote: a relative program path must stay inside the checkout/);
  });
});

describe('runScript', () => {
  const options = { cwd: root, env: process.env, timeoutMs: 20_000, graceMs: 500, maxOutputBytes: 1024 * 1024 };

  test('the answer is the last stdout line, whatever stderr printed after it', async () => {
    const run = await runScript(['sh', '-c', 'echo first; echo \'{"url":"u"}\'; echo "late warning" >&2'], options);
    assert.equal(run.exitCode, 0);
    assert.equal(run.lastStdoutLine, '{"url":"u"}');
    assert.match(run.output.toString(), /late warning/);
  });

  test('what the script leaves running in its group is killed when it exits', async () => {
    const pidFile = join(root, 'leftover.pid');
    const run = await runScript(['sh', '-c', `sleep 300 & echo $! > ${pidFile}; echo started`], options);
    assert.equal(run.exitCode, 0);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    stray.push(pid);
    assert.deepEqual(await waitAllDead([pid]), []);
  });

  test('when its worker is SIGKILLed mid-script, the script and what it started are stopped', { timeout: 30_000 }, async () => {
    const [scriptFile, childFile] = [join(root, 'owned-script.pid'), join(root, 'owned-child.pid')];
    const owner = startCommandOwner(['sh', '-c', `sleep 60 >/dev/null 2>&1 & echo $! > ${childFile}; echo $$ > ${scriptFile}; sleep 60`], root, 'runScript');
    const pids: number[] = [];
    try {
      await waitUntil('the script to write its pids', () => existsSync(scriptFile) && existsSync(childFile), { timeoutMs: 15_000, everyMs: 50 });
      pids.push(Number(readFileSync(scriptFile, 'utf8').trim()), Number(readFileSync(childFile, 'utf8').trim()));
      stray.push(...pids);
      assert.deepEqual(pids.filter(pidAlive), pids, 'the script runs while its worker lives');
      owner.kill('SIGKILL');
      assert.deepEqual(await waitAllDead(pids, 5_000), [], 'the script outlived its worker');
    } finally {
      owner.kill('SIGKILL');
    }
  });

  test('rejects, naming the program, when the script cannot be started', async () => {
    await assert.rejects(runScript(['./prpilot-no-such-script.sh'], options), /prpilot-no-such-script\.sh ENOENT/);
  });

  test('a process that left the group but holds the output pipe does not hold up the step', { timeout: 15_000 }, async () => {
    const pidFile = join(root, 'escaped.pid');
    const run = await runScript(['sh', '-c', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 300' & sleep 0.5; echo done`], options);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    stray.push(pid);
    assert.equal(run.exitCode, 0);
    assert.equal(run.lastStdoutLine, 'done');
    process.kill(pid, 'SIGKILL');
  });
});
