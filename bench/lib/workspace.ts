/**
 * A benchmark's temp dir and everything it must undo (dev servers, workers, child processes): the
 * cleanups run in reverse order when the body ends, normally or by an error, and on SIGINT/SIGTERM
 * (bench/run-all.ts sends SIGTERM to a bench over its time limit). The temp dir goes last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Workspace {
  root: string;
  /** Registers an undo step; the function returned runs it now (once) instead of at the end. */
  onCleanup(step: () => Promise<void> | void): () => Promise<void>;
}

export async function withWorkspace<T>(name: string, body: (workspace: Workspace) => Promise<T>): Promise<T> {
  const root = mkdtempSync(path.join(tmpdir(), `prpilot-bench-${name}-`));
  const steps: (() => Promise<void> | void)[] = [() => rmSync(root, { recursive: true, force: true })];
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`bench ${name}: a cleanup step failed: ${String(error)}`);
        }
      }
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`bench ${name}: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onCleanup = (step: () => Promise<void> | void): (() => Promise<void>) => {
    let done: Promise<void> | null = null;
    const once = (): Promise<void> => (done ??= Promise.resolve().then(step));
    steps.push(once);
    return async () => {
      steps.splice(steps.indexOf(once), 1);
      await once();
    };
  };
  try {
    return await body({ root, onCleanup });
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `--name value` from the command line as a positive number, or the fallback. */
export function numberFlag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const text = process.argv[index + 1];
  const value = Number(text);
  if (text === undefined || !(value > 0)) throw new Error(`--${name} needs a positive number (got ${JSON.stringify(text)})`);
  return value;
}

/** `--name a,b,c` as positive numbers, or the fallback. */
export function numberListFlag(name: string, fallback: number[]): number[] {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const values = (process.argv[index + 1] ?? '').split(',').map(Number);
  if (values.length === 0 || values.some((value) => !(value > 0))) throw new Error(`--${name} needs positive numbers separated by commas`);
  return values;
}
