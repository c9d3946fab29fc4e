import { spawnGroupLed } from './spawnGroupLed.js';

export interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  output: string;
  durationMs: number;
}

export interface CommandOptions {
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called about every `tickMs` while the command runs (activities heartbeat here). */
  onTick?: () => void;
  tickMs?: number;
  maxOutputBytes?: number;
}

/**
 * Runs argv in its own process group and always reaps the whole group: on exit, timeout or abort, and
 * when this process dies (a SIGKILLed worker): the group's leader, groupLeader.mjs, holds a channel to
 * this process and stops the group when it closes. Output is interleaved stdout+stderr, truncated from
 * the front past maxOutputBytes.
 */
export function runCommand(argv: string[], options: CommandOptions): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (!program) throw new Error('runCommand: empty argv');
  const started = Date.now();
  const maxOutput = options.maxOutputBytes ?? 2 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const { child, spawnError } = spawnGroupLed(program, args, { cwd: options.cwd, env: options.env ?? process.env });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > maxOutput) output = `[... earlier output truncated ...]\n${output.slice(-maxOutput)}`;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    let cancelled = false;
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try { process.kill(-child.pid, signal); } catch { /* already gone */ }
    };
    const stop = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2_000).unref();
    };
    const timer = setTimeout(() => { timedOut = true; stop(); }, options.timeoutMs);
    const ticker = options.onTick ? setInterval(options.onTick, options.tickMs ?? 5_000) : undefined;
    const onAbort = () => { cancelled = true; stop(); };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const couldNotRun = (why: string) => new Error(`could not run ${JSON.stringify(argv.join(' '))} in ${options.cwd}: ${why}`);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
      reject(couldNotRun(error.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
      killGroup('SIGKILL'); // stragglers the command left in its group
      const notStarted = spawnError();
      if (notStarted !== null) reject(couldNotRun(notStarted));
      else resolve({ exitCode: code, timedOut, cancelled, output, durationMs: Date.now() - started });
    });
  });
}
