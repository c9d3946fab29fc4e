/**
 * Counting real deploy calls, from the deploy target's own traces rather than from the workflow:
 *   command target: the lines test/fixtures/faults/step.sh appends per invocation (<faultDir>/calls.jsonl);
 *   local target: the header the supervisor writes to <logs>/<deployment>/<role>.log per process start,
 *   and the weight changes the proxy logs (a promotion sets the canary to 100%).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const stepEventSchema = z.object({
  event: z.enum(['start', 'fail', 'end']),
  step: z.enum(['deploy-canary', 'set-weight', 'promote', 'rollback', 'stop']),
  key: z.string(),
  deploymentId: z.string(),
  version: z.string(),
  percent: z.string(),
  pid: z.number(),
  at: z.number(),
});
export type StepEvent = z.infer<typeof stepEventSchema>;
export type StepName = StepEvent['step'];

export async function stepEvents(faultDir: string): Promise<StepEvent[]> {
  const text = await readFile(path.join(faultDir, 'calls.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim()).map((line) => stepEventSchema.parse(JSON.parse(line)));
}

/** Invocations (start events) of a step, optionally of one deployment or of those of a workflow. */
export async function invocations(faultDir: string, step: StepName, deploymentPrefix = ''): Promise<StepEvent[]> {
  return (await stepEvents(faultDir)).filter((event) => event.event === 'start' && event.step === step && event.deploymentId.startsWith(deploymentPrefix));
}

/** How many times each step started and how many ended successfully, for a deployment id prefix. */
export async function stepCounts(faultDir: string, deploymentPrefix = ''): Promise<Record<string, { started: number; ended: number; failed: number }>> {
  const counts: Record<string, { started: number; ended: number; failed: number }> = {};
  for (const event of await stepEvents(faultDir)) {
    if (!event.deploymentId.startsWith(deploymentPrefix)) continue;
    const entry = (counts[event.step] ??= { started: 0, ended: 0, failed: 0 });
    if (event.event === 'start') entry.started += 1;
    else if (event.event === 'end') entry.ended += 1;
    else entry.failed += 1;
  }
  return counts;
}

/**
 * How each invocation of a step ended, in order: 'end', 'fail', or 'none' for one that never finished
 * (a crashed worker's script dies of SIGPIPE at its next write to the pipe the worker held).
 */
export async function invocationEndings(faultDir: string, step: StepName, deploymentPrefix = ''): Promise<{ pid: number; key: string; ending: 'end' | 'fail' | 'none' }[]> {
  const events = (await stepEvents(faultDir)).filter((event) => event.step === step && event.deploymentId.startsWith(deploymentPrefix));
  return events.filter((event) => event.event === 'start').map((start) => {
    const last = events.find((event) => event.pid === start.pid && event.event !== 'start');
    return { pid: start.pid, key: start.key, ending: last ? (last.event === 'end' ? 'end' : 'fail') : 'none' };
  });
}

/** How many times the local target started the `role` process of a deployment (supervisor log headers). */
export async function localProcessStarts(home: string, deploymentId: string, role: 'canary' | 'stable' | 'proxy' | 'loadgen'): Promise<number> {
  const text = await readFile(path.join(home, 'logs', encodeURIComponent(deploymentId), `${role}.log`), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.startsWith('--- ') && line.includes(` ${role}: `)).length;
}

/** How many times the local target's proxy of a deployment was told to send 100% to the canary (a promotion). */
export async function localPromotions(home: string, deploymentId: string): Promise<number> {
  const text = await readFile(path.join(home, 'logs', encodeURIComponent(deploymentId), 'proxy.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.includes('"event":"weight"') && line.includes('"canaryPercent":100')).length;
}
