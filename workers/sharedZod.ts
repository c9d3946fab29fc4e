/**
 * Preloaded into the workflow bundle (workers/bundle.ts SHARED_WORKFLOW_MODULES), so zod is loaded once
 * per worker and shared by every workflow. Preloading zod itself would not work: it declares itself free
 * of side effects, so the bundler drops a require whose result nobody reads. This module reads it, and
 * builds and uses one schema now: zod sets its global defaults (locale, memoizer) on first use, and once
 * preloaded its globals are frozen.
 *
 * jitless: zod compiles a parser (new Function) for each object schema on its first parse. Workflow
 * code builds its schemas per workflow and parses each a few times at most, so that compiling was pure
 * cost: about 100 ms of a clean PR's workflow tasks on the overhead benchmark (bench/overhead.ts).
 * Parsing without it gives the same results.
 */
import { z } from 'zod';

z.config({ jitless: true });

export const zodReady: boolean = z.object({ ready: z.boolean() }).safeParse({ ready: true }).success
  && !z.object({ ready: z.boolean() }).safeParse({}).success;
