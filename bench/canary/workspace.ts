/**
 * A benchmark's temp dir and everything it must undo: cleanups run in reverse order when the body
 * ends (normally or by an error) and on SIGINT/SIGTERM, and the temp dir goes last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Workspace {
  /** The benchmark's own temp dir: service copies, state, logs, Prometheus data. */
  root: string;
  /** Registers an undo step (stop processes, remove files). */
  onCleanup(step: () => Promise<void> | void): void;
}

export async function withWorkspace<T>(name: string, body: (workspace: Workspace) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), `prpilot-bench-${name}-`));
  const steps: (() => Promise<void> | void)[] = [() => rmSync(root, { recursive: true, force: true })];
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`bench ${name}: cleanup step failed: ${String(error)}`);
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
  try {
    return await body({ root, onCleanup: (step) => steps.push(step) });
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
