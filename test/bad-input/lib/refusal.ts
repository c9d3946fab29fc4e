/**
 * The shape of a refusal: the exit code, one exact message on stderr, no stack trace and nothing on
 * stdout (a script reading stdout must not mistake a refusal for a result).
 */
import assert from 'node:assert/strict';
import type { CliRun } from '../../helpers/cli.js';

export interface Refusal {
  code: number;
  /** Anchored on the meaningful line(s), e.g. /^prpilot start: --pr must be .+$/m. */
  message: RegExp;
  /** Some refusals print their verdict on stdout (`approve` that did not count); default: stdout empty. */
  stdout?: RegExp;
}

export function assertRefused(run: CliRun, expected: Refusal): void {
  const shown = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, expected.code, shown);
  assert.match(run.stderr, expected.message, shown);
  assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace instead of a message:\n${shown}`);
  if (expected.stdout) assert.match(run.stdout, expected.stdout, shown);
  else assert.equal(run.stdout, '', `a refusal prints nothing on stdout:\n${shown}`);
}

/** Escapes text for use inside a RegExp (paths and values quoted in messages). */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
