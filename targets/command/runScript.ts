/**
 * Runs one deploy script in its own process group and always reaps the whole group: when the script
 * exits (stragglers it left behind), on timeout (SIGTERM, then SIGKILL after the grace period), and
 * when this process dies (a SIGKILLed worker): the group's leader, groupLeader.mjs, stops it then, so
 * a retry on another worker never runs beside a script the dead worker left behind.
 * Unlike activities/process/runCommand.ts it keeps stdout apart too, because a script answers on its
 * last stdout line, and bounds the captured output in bytes.
 */
import { spawnGroupLed } from '../../activities/process/spawnGroupLed.js';

export interface ScriptRun {
  exitCode: number | null;
  /** The signal that ended the script, if one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last maxOutputBytes of stdout and stderr, interleaved as they arrived. */
  output: Buffer;
  /** How many earlier bytes were dropped to stay within maxOutputBytes. */
  droppedBytes: number;
  /** The last non-empty line the script wrote to stdout (null if none). */
  lastStdoutLine: string | null;
  durationMs: number;
}

export interface ScriptOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL on timeout. */
  graceMs: number;
  maxOutputBytes: number;
  /** Every chunk of output as it arrives (the live log file). */
  onOutput?: (chunk: Buffer) => void;
}

/** After the script exits, how long its pipes may stay open (held by a detached grandchild) before we stop reading. */
const PIPE_DRAIN_MS = 2_000;
const STDOUT_TAIL_BYTES = 64 * 1024;

/** Keeps the last `limit` bytes of a stream. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    for (let first = this.chunks[0]; first && this.bytes - first.length >= this.limit; first = this.chunks[0]) {
      this.chunks.shift();
      this.bytes -= first.length;
      this.dropped += first.length;
    }
  }

  content(): Buffer {
    const all = Buffer.concat(this.chunks);
    const excess = Math.max(0, all.length - this.limit);
    return excess > 0 ? all.subarray(excess) : all;
  }

  droppedBytes(): number {
    return this.dropped + Math.max(0, this.bytes - this.limit);
  }
}

function lastLine(text: string): string | null {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  return lines.at(-1) ?? null;
}

export function runScript(argv: string[], options: ScriptOptions): Promise<ScriptRun> {
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new Error('runScript: empty argv'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const { child, spawnError } = spawnGroupLed(program, args, { cwd: options.cwd, env: options.env });
    const output = new TailBuffer(options.maxOutputBytes);
    const stdout = new TailBuffer(STDOUT_TAIL_BYTES);
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk);
      stdout.push(chunk);
      options.onOutput?.(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.push(chunk);
      options.onOutput?.(chunk);
    });

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void): void => {
      timers.push(setTimeout(fn, ms));
    };
    later(options.timeoutMs, () => {
      timedOut = true;
      killGroup('SIGTERM');
      later(options.graceMs, () => killGroup('SIGKILL'));
    });

    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      killGroup('SIGKILL'); // whatever the script left running in its group
      const notStarted = spawnError();
      if (notStarted !== null) {
        reject(new Error(notStarted));
        return;
      }
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        output: output.content(),
        droppedBytes: output.droppedBytes(),
        lastStdoutLine: lastLine(stdout.content().toString('utf8')),
        durationMs: Date.now() - started,
      });
    };
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      killGroup('SIGKILL');
      reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The script is done: stragglers in its group go now, so they cannot hold the pipes open. A process
      // that left the group (setsid) but kept our stdout gets PIPE_DRAIN_MS before we stop reading.
      killGroup('SIGKILL');
      later(PIPE_DRAIN_MS, () => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      });
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
}
