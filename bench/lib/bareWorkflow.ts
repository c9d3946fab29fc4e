/**
 * The baseline of the overhead benchmark (workflow code, bundled on its own): a bare workflow that runs
 * a given sequence of activities, each doing nothing but sleeping a given time, one after the other.
 * Given the activities a prpilot PR ran, in their order and with their own durations, it is what the
 * same work costs on the same server with no orchestration of ours: no decision sealing logic, search
 * attributes, deploy lock, queries or stage bookkeeping.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

export interface BareStep {
  /** The prpilot activity this step stands for (for reading only). */
  activity: string;
  local: boolean;
  sleepMs: number;
}

export interface BareActivities {
  bareStep(sleepMs: number): Promise<void>;
}

const remote = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 1 } });

export async function bareWorkflow(steps: BareStep[]): Promise<number> {
  for (const step of steps) await (step.local ? local : remote).bareStep(step.sleepMs);
  return steps.length;
}
