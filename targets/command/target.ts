/**
 * The command deploy target: each deploy step runs the user's script (docs/command-target.md), from the
 * stable (base commit) checkout, with the step described in PRPILOT_* variables.
 *
 * Every step has an idempotency key (`<id>:set-weight:25`); the deployment's ledger (ledger.ts) records the
 * steps that completed, so a retried activity, even in a restarted worker, never runs a completed step's
 * script again. A step that started but never completed (a crash mid-step, a failure) runs again with the
 * same key, which the script is told so that it can dedupe. Steps of one deployment are serialised within
 * a process.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ArtifactStore } from '../../activities/artifacts/store.js';
import type { CanaryDeploySpec, DeployTarget, StepReport } from '../deployTarget.js';
import { commandTargetConfigSchema, type CommandTargetConfig, type CommandTargetConfigInput } from './config.js';
import { CommandTargetError } from './errors.js';
import { completedStep, ledgerPath, planStep, readLedger, writeLedger, type Ledger, type LedgerEntry, type LedgerSpec, type RecordedReport, type StepName } from './ledger.js';
import { resolveArgv, stepEnv } from './invocation.js';
import { runScript, type ScriptRun } from './runScript.js';

export { CommandTargetError, type CommandTargetErrorCode } from './errors.js';

export interface CommandTargetOptions {
  /** `deploy.command` of the config (parsed or not: it is parsed here). */
  config: CommandTargetConfigInput;
  /** Where the per-deployment ledgers live; must survive worker restarts. */
  stateDir: string;
  /** Where each step's captured output goes (the report carries its sha256). */
  artifacts: ArtifactStore;
  /** If set, each step's output is also appended, live, to <logDir>/<deploymentId>/<step>.log. */
  logDir?: string;
  /** SIGTERM → SIGKILL grace period when a script times out (default 10 000 ms). */
  graceMs?: number;
  /** Output kept per step: the last this many bytes (default 1 MiB). */
  maxOutputBytes?: number;
  /** The environment scripts inherit, minus the worker's own secrets (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface CommandTarget extends DeployTarget {
  readonly kind: 'command';
}

const CONFIG_FIELD: Record<StepName, keyof CommandTargetConfig> = {
  'deploy-canary': 'deployCanary',
  'set-weight': 'setWeight',
  promote: 'promote',
  rollback: 'rollback',
  stop: 'stop',
};

/** The answer a script may print as its last stdout line. */
const scriptAnswerSchema = z.object({
  url: z.string().min(1).optional(),
  stableHealthy: z.boolean().optional(),
});

const OUTPUT_TAIL_CHARS = 2_000;

/**
 * The last operation on each ledger file in this process. Module-wide, not per target, because a ledger is
 * a process-wide resource: targets created per call (or per config) over one state dir still take turns.
 */
const locks = new Map<string, Promise<unknown>>();

export function createCommandTarget(options: CommandTargetOptions): CommandTarget {
  const parsedConfig = commandTargetConfigSchema.safeParse(options.config);
  if (!parsedConfig.success) {
    const issues = parsedConfig.error.issues.map((issue) => `deploy.command.${issue.path.join('.')}: ${issue.message}`);
    throw new CommandTargetError('invalid_config', `invalid command target config: ${issues.join('; ')}`);
  }
  const config = parsedConfig.data;
  const { stateDir, artifacts } = options;
  const graceMs = options.graceMs ?? 10_000;
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const baseEnv = options.baseEnv ?? process.env;
  const now = options.now ?? (() => new Date());

  /** Runs fn after every earlier operation on the same deployment (in this process) has settled. */
  function serialized<T>(deploymentId: string, fn: () => Promise<T>): Promise<T> {
    if (!deploymentId || deploymentId.length > 200 || /[\u0000-\u001f]/.test(deploymentId)) {
      return Promise.reject(new CommandTargetError('invalid_argument', `deployment id must be 1-200 printable characters (got ${JSON.stringify(deploymentId)})`));
    }
    const lock = ledgerPath(path.resolve(stateDir), deploymentId);
    const previous = locks.get(lock) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(lock, tail);
    void tail.then(() => {
      if (locks.get(lock) === tail) locks.delete(lock);
    });
    return run;
  }

  async function mustRead(deploymentId: string, step: StepName): Promise<Ledger> {
    const ledger = await readLedger(stateDir, deploymentId);
    if (!ledger) {
      throw new CommandTargetError('unknown_deployment', `${step}: no command deployment ${deploymentId} in ${stateDir} (startCanary never ran for it with this state directory)`);
    }
    return ledger;
  }

  /** Refuses steps that make no sense after what the deployment already did. */
  function refuseAfter(ledger: Ledger, step: StepName, finished: StepName[]): void {
    for (const earlier of finished) {
      if (completedStep(ledger, earlier)) {
        throw new CommandTargetError('invalid_state', `${step}: deployment ${ledger.deploymentId} has already completed ${earlier}`);
      }
    }
  }

  interface Performed {
    report: RecordedReport;
    alreadyDone: boolean;
  }

  /**
   * The step under its idempotency key: the recorded report if it completed, else the script runs (again)
   * and the ledger records the outcome. `guard` runs only when the script is about to run.
   */
  async function perform(ledger: Ledger, step: StepName, argument: string | null, percent: number | null, guard: () => void): Promise<Performed> {
    const plan = planStep(ledger, step, argument);
    if (plan.kind === 'retry' && plan.entry.status === 'completed' && plan.entry.report) {
      return { report: plan.entry.report, alreadyDone: true };
    }
    guard();
    const entry: LedgerEntry =
      plan.kind === 'retry'
        ? plan.entry
        : { key: plan.key, step, argument, status: 'started', attempts: 0, startedAt: now().toISOString(), completedAt: null, lastError: null, report: null };
    if (plan.kind === 'new') ledger.entries.push(entry);
    entry.attempts += 1;
    await writeLedger(stateDir, ledger);
    try {
      const report = await runStep(ledger, entry, percent);
      Object.assign(entry, { status: 'completed', completedAt: now().toISOString(), lastError: null, report });
      await writeLedger(stateDir, ledger);
      return { report, alreadyDone: false };
    } catch (error) {
      entry.lastError = error instanceof Error ? error.message.slice(0, 2_000) : String(error);
      await writeLedger(stateDir, ledger);
      throw error;
    }
  }

  async function runStep(ledger: Ledger, entry: LedgerEntry, percent: number | null): Promise<RecordedReport> {
    const field = CONFIG_FIELD[entry.step];
    const argv = config[field];
    if (!Array.isArray(argv)) return { outputSha256: null }; // no `stop` script: nothing to release
    const configField = `deploy.command.${field}`;
    const env = stepEnv(baseEnv, config.env, { deploymentId: ledger.deploymentId, step: entry.step, idempotencyKey: entry.key, spec: ledger.spec, percent });
    const resolved = await resolveArgv(argv, ledger.spec.stable.dir, env, configField);
    const log = await openLog(ledger.deploymentId, entry);
    let run: ScriptRun;
    try {
      run = await runScript(resolved, {
        cwd: ledger.spec.stable.dir,
        env,
        timeoutMs: config.timeoutSeconds * 1000,
        graceMs,
        maxOutputBytes,
        onOutput: log ? (chunk) => log.write(chunk) : undefined,
      });
    } catch (error) {
      throw new CommandTargetError('step_failed', `${entry.step} (key ${entry.key}): could not start ${resolved.join(' ')}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      log?.end();
    }
    const outputSha256 = (await artifacts.put(describeRun(ledger.deploymentId, entry, resolved, run))).sha256;
    const tail = outputTail(run.output);
    if (run.timedOut) {
      throw new CommandTargetError(
        'step_timeout',
        `${entry.step} (key ${entry.key}) timed out after ${config.timeoutSeconds}s: its process group was killed (SIGTERM, then SIGKILL after ${graceMs} ms); output sha256 ${outputSha256}; last output:\n${tail}`,
        outputSha256,
      );
    }
    if (run.exitCode !== 0) {
      const how = run.exitCode === null ? `was killed by ${run.signal ?? 'a signal'}` : `exited with code ${run.exitCode}`;
      throw new CommandTargetError('step_failed', `${entry.step} (key ${entry.key}) failed: ${argv.join(' ')} ${how}; output sha256 ${outputSha256}; last output:\n${tail}`, outputSha256);
    }
    const answer = parseAnswer(run.lastStdoutLine);
    if (entry.step === 'deploy-canary') return { outputSha256, url: answer.url ?? null };
    if (entry.step === 'rollback') return { outputSha256, stableHealthy: answer.stableHealthy !== false };
    return { outputSha256 };
  }

  async function openLog(deploymentId: string, entry: LedgerEntry): Promise<NodeJS.WritableStream | null> {
    if (!options.logDir) return null;
    const dir = path.join(options.logDir, encodeURIComponent(deploymentId));
    await mkdir(dir, { recursive: true });
    const stream = createWriteStream(path.join(dir, `${entry.step}.log`), { flags: 'a' });
    stream.on('error', () => undefined); // the log is a convenience: never fail a deploy step over it
    stream.write(`--- ${now().toISOString()} ${entry.key} attempt ${entry.attempts}\n`);
    return stream;
  }

  function stop(deploymentId: string): Promise<StepReport> {
    return serialized(deploymentId, async () => {
      const ledger = await readLedger(stateDir, deploymentId);
      if (!ledger) return { outputSha256: null, alreadyDone: false };
      const done = await perform(ledger, 'stop', null, null, () => undefined);
      return { outputSha256: done.report.outputSha256, alreadyDone: done.alreadyDone };
    });
  }

  return {
    kind: 'command',

    startCanary(deploymentId: string, spec: CanaryDeploySpec) {
      return serialized(deploymentId, async () => {
        const wanted = ledgerSpec(spec);
        const recorded = await readLedger(stateDir, deploymentId);
        if (recorded) assertSameDeployment(deploymentId, recorded.spec, wanted);
        const ledger: Ledger = recorded ?? { schemaVersion: 1, deploymentId, spec: wanted, entries: [] };
        const done = await perform(ledger, 'deploy-canary', null, ledger.spec.percent, () => refuseAfter(ledger, 'deploy-canary', ['stop']));
        return { outputSha256: done.report.outputSha256, alreadyDone: done.alreadyDone, url: done.report.url ?? null };
      });
    },

    setCanaryPercent(deploymentId: string, percent: number) {
      return serialized(deploymentId, async () => {
        assertPercent(percent);
        const ledger = await mustRead(deploymentId, 'set-weight');
        const done = await perform(ledger, 'set-weight', String(percent), percent, () => refuseAfter(ledger, 'set-weight', ['stop', 'promote', 'rollback']));
        return { outputSha256: done.report.outputSha256, alreadyDone: done.alreadyDone };
      });
    },

    promote(deploymentId: string) {
      return serialized(deploymentId, async () => {
        const ledger = await mustRead(deploymentId, 'promote');
        // Promoting what was rolled back would overturn the canary's verdict.
        const done = await perform(ledger, 'promote', null, null, () => refuseAfter(ledger, 'promote', ['stop', 'rollback']));
        return { outputSha256: done.report.outputSha256, alreadyDone: done.alreadyDone };
      });
    },

    rollback(deploymentId: string) {
      return serialized(deploymentId, async () => {
        const ledger = await readLedger(stateDir, deploymentId);
        // No ledger: no deploy script ever ran for this id here, so stable was never touched.
        if (!ledger) return { outputSha256: null, alreadyDone: false, stableHealthy: true };
        const done = await perform(ledger, 'rollback', null, null, () => refuseAfter(ledger, 'rollback', ['stop']));
        return { outputSha256: done.report.outputSha256, alreadyDone: done.alreadyDone, stableHealthy: done.report.stableHealthy !== false };
      });
    },

    /** Runs the `stop` script if configured; unknown ids are a no-op. */
    stop,
  };
}

function ledgerSpec(spec: CanaryDeploySpec): LedgerSpec {
  assertPercent(spec.percent);
  for (const version of [spec.stable, spec.canary]) {
    if (!version.sha || !path.isAbsolute(version.dir)) {
      throw new CommandTargetError('invalid_argument', `startCanary: the ${version.label} version needs a sha and an absolute dir (got ${JSON.stringify({ sha: version.sha, dir: version.dir })})`);
    }
  }
  return {
    service: spec.service.name,
    stable: { label: spec.stable.label, sha: spec.stable.sha, dir: spec.stable.dir },
    canary: { label: spec.canary.label, sha: spec.canary.sha, dir: spec.canary.dir },
    percent: spec.percent,
  };
}

function assertSameDeployment(deploymentId: string, recorded: LedgerSpec, wanted: LedgerSpec): void {
  const fields: [string, string, string][] = [
    ['service', recorded.service, wanted.service],
    ['stable sha', recorded.stable.sha, wanted.stable.sha],
    ['canary sha', recorded.canary.sha, wanted.canary.sha],
  ];
  for (const [name, was, now] of fields) {
    if (was !== now) {
      throw new CommandTargetError('invalid_argument', `startCanary: deployment ${deploymentId} was started with ${name} ${was}, not ${now}; a new version needs a new deployment id`);
    }
  }
}

function assertPercent(percent: number): void {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new CommandTargetError('invalid_argument', `percent must be between 0 and 100 (got ${percent})`);
  }
}

function parseAnswer(line: string | null): z.infer<typeof scriptAnswerSchema> {
  if (line === null || !line.startsWith('{')) return {};
  try {
    const parsed = scriptAnswerSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

function outputTail(output: Buffer): string {
  const text = output.toString('utf8').trimEnd();
  if (text.length === 0) return '(no output)';
  return text.length > OUTPUT_TAIL_CHARS ? `...${text.slice(-OUTPUT_TAIL_CHARS)}` : text;
}

/** The artifact of one run: what ran, how it ended, and its output. */
function describeRun(deploymentId: string, entry: LedgerEntry, argv: string[], run: ScriptRun): Buffer {
  const ending = run.timedOut ? 'timed out, process group killed' : run.exitCode === null ? `killed by ${run.signal ?? 'a signal'}` : `exit code ${run.exitCode}`;
  const dropped = run.droppedBytes > 0 ? `; ${run.droppedBytes} earlier bytes dropped` : '';
  const header = [
    'prpilot command target',
    `deployment: ${deploymentId}`,
    `step: ${entry.step} (key ${entry.key}, attempt ${entry.attempts})`,
    `argv: ${JSON.stringify(argv)}`,
    `result: ${ending} after ${run.durationMs} ms`,
    `output (stdout and stderr${dropped}):`,
    '',
  ].join('\n');
  return Buffer.concat([Buffer.from(header), run.output]);
}
