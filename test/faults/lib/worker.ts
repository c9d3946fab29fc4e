/**
 * `prpilot worker` as a child process that a test can SIGKILL and start again on the same PRPILOT_HOME,
 * as an operator (or systemd) would after a crash. Every worker's output is kept, in order, for failure
 * messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PRPILOT } from '../../helpers/cli.js';
import { WaitAbort, waitUntil } from './wait.js';

export interface WorkerProcess {
  /** Output of every worker started so far, each block headed by its pid. */
  log(): string;
  /** pid of the worker now running (throws if none). */
  pid(): number;
  /** Starts a worker (again) and waits until it polls its task queue. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown hooks, no cleanup; its deploy processes and scripts are orphaned. */
  crash(): Promise<void>;
  /** SIGTERM and wait: the clean shutdown, which stops every deploy process the worker started. */
  stop(): Promise<number | null>;
  /** How many workers were started. */
  starts(): number;
}

export function workerProcess(env: NodeJS.ProcessEnv): WorkerProcess {
  let child: ChildProcess | null = null;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = '';
  let starts = 0;

  const running = (): ChildProcess => {
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`no worker is running; log:\n${output}`);
    return child;
  };

  return {
    log: () => output,
    pid: () => running().pid ?? -1,
    starts: () => starts,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('a worker is already running');
      const started = spawn(PRPILOT, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      starts += 1;
      child = started;
      output += `\n--- worker ${starts} (pid ${started.pid})\n`;
      let own = '';
      const collect = (chunk: Buffer) => { own += chunk.toString(); output += chunk.toString(); };
      started.stdout?.on('data', collect);
      started.stderr?.on('data', collect);
      exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
      await waitUntil(`worker ${starts} polling its task queue`, async () => {
        if (started.exitCode !== null) throw new WaitAbort(new Error(`worker exited with ${started.exitCode} before polling:\n${own}`));
        return own.includes('polling task queue');
      }, { timeoutMs: 120_000, everyMs: 200 });
    },
    async crash() {
      const victim = running();
      victim.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill('SIGTERM');
      return exited;
    },
  };
}
