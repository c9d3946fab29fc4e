/** Condition-based waiting with a bound: poll `check` until it returns a value (not false/null/undefined). */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** Extra context for the timeout message (e.g. the worker log), computed only on failure. */
  context?: () => string;
}

export async function waitUntil<T>(what: string, check: () => Promise<T | false | null | undefined> | T | false | null | undefined, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== null && value !== undefined) return value;
      lastError = null;
    } catch (error) {
      // A check may throw for good reasons of its own (the worker exited): those end the wait at once.
      if (error instanceof WaitAbort) throw error.cause;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new Error(`timed out waiting for ${what}${why}${options.context ? `\n${options.context()}` : ''}`);
    }
    await sleep(options.everyMs ?? 250);
  }
}

/** Thrown from a check to stop waiting with `cause` (instead of retrying until the deadline). */
export class WaitAbort extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}
