/** Child processes of a benchmark: TypeScript scripts run with tsx, waited for and stopped by their pid. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** `--import` value that loads tsx from this checkout, wherever the child runs. */
export const TSX_IMPORT = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** `node --import tsx script ...args` with this Node. */
export function spawnTsx(script: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_IMPORT, script, ...args], options);
}

/** Resolves with the output so far once `predicate` holds on it; rejects if the child exits first or time runs out. */
export function waitForOutput(child: ChildProcess, predicate: (output: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (predicate(output)) finish(() => resolve(output));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`${what}: exited with ${code} first; output:\n${output.slice(-3000)}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: not within ${timeoutMs / 1000} s; output:\n${output.slice(-3000)}`))), timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Sends `signal`, waits up to graceMs for the exit, then SIGKILL. Resolves with the exit code (null if killed). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
