/**
 * Determinism guard: every saved history (test/histories, refreshed by `npm run histories`) must
 * replay against the current workflow code. A change that alters history without patched() fails here.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../helpers/temporal.js';

const dir = new URL('../histories/', import.meta.url);

describe('saved histories replay', async () => {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json')).sort();

  it('covers the demo outcomes', () => {
    for (const key of ['clean', 'risky', 'bad']) assert.ok(files.includes(`demo-${key}.json`), `test/histories/demo-${key}.json`);
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      quietRuntime();
      // The temporal CLI's JSON, as written by scripts/refresh-histories.ts; the worker parses it itself.
      const history = JSON.parse(await readFile(new URL(file, dir), 'utf8')) as { events: Record<string, unknown>[] };
      const completed = history.events.some((event) => event.workflowExecutionCompletedEventAttributes);
      assert.ok(completed, `${file} is a completed run`);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
    });
  }
});
