/**
 * The workflow tests' fake activities (test/workflow/fakes.ts) made into a simulated fast target: each
 * sleeps a small, realistic duration, and every call's own duration can be reported. Decision sealing
 * stays the real local activity. The fakes record every call for tests; here those records are dropped
 * after each call, so a worker running 1,000 PRs holds the workflows' memory, not the recorder's.
 */
import { Context } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activities } from '../../activities/index.js';
import { fakeActivities, passedWatch } from '../../test/workflow/fakes.js';

/** Milliseconds each activity sleeps before answering (0 or absent: answers at once). */
export type ActivityDelays = Partial<Record<keyof Activities, number>>;

/** A realistic fast target: 50-200 ms per agent or deploy step, the canary watch as long as its step. */
export const FAST_TARGET_DELAYS: ActivityDelays = {
  prepareChange: 100,
  reviewChange: 200,
  runTests: 200,
  deployStaging: 200,
  validateStaging: 100,
  assessDeploymentRisk: 150,
  startCanary: 150,
  promoteCanary: 100,
  stopDeployment: 50,
  notify: 50,
};

export interface ActivityTiming {
  workflowId: string;
  activity: string;
  local: boolean;
  startMs: number;
  endMs: number;
}

export function benchActivities(options: {
  delays?: ActivityDelays;
  /** How long the watch of a canary step takes, in ms (a real watch lasts the step). */
  watchMs?: number;
} = {}): Activities {
  const delays = options.delays ?? {};
  const { activities, calls } = fakeActivities({
    async watchCanary() {
      if (options.watchMs) await sleep(options.watchMs);
      return passedWatch();
    },
  });
  const wrapped = Object.fromEntries(Object.entries(activities).map(([name, fn]) => {
    const call = fn as (...args: unknown[]) => Promise<unknown>;
    const delay = delays[name as keyof Activities] ?? 0;
    return [name, async (...args: unknown[]) => {
      try {
        if (delay > 0) await sleep(delay);
        return await call(...args);
      } finally {
        delete calls[name];
      }
    }];
  }));
  return wrapped as unknown as Activities;
}

/** The same activities, each call's own duration (start to answer, inside the worker) reported. */
export function timedActivities<T extends object>(activities: T, onTiming: (timing: ActivityTiming) => void): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => {
    const call = fn as (...args: unknown[]) => Promise<unknown>;
    return [name, async (...args: unknown[]) => {
      const startMs = performance.now();
      try {
        return await call(...args);
      } finally {
        const info = Context.current().info;
        onTiming({ workflowId: info.workflowExecution?.workflowId ?? '', activity: name, local: info.isLocal, startMs, endMs: performance.now() });
      }
    }];
  })) as T;
}
