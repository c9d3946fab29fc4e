/**
 * A catalogue entry: what is run, how it must be refused, and that it left the world as it found it.
 * docs/bad-input.md lists the same cases as a table.
 */
import { it } from 'node:test';
import type { CliRun } from '../../helpers/cli.js';
import { assertRefused, type Refusal } from './refusal.js';

export interface RefusalCase extends Omit<Refusal, 'message'> {
  name: string;
  run: () => Promise<CliRun>;
  /** A function when the message names something made in `before` (a temp path). */
  message: RegExp | (() => RegExp);
  /** A known bug: the case asserts the right behaviour and is reported as todo until it is fixed. */
  todo?: string;
}

/** One test per case: refused as expected, then `unchanged()` checks that nothing was started or changed. */
export function itRefusesEach(cases: RefusalCase[], unchanged: () => Promise<void>): void {
  for (const entry of cases) {
    it(entry.name, entry.todo ? { todo: entry.todo } : {}, async () => {
      const message = typeof entry.message === 'function' ? entry.message() : entry.message;
      assertRefused(await entry.run(), { ...entry, message });
      await unchanged();
    });
  }
}
