/**
 * The ledger of one deployment (<stateDir>/<id>.json): the spec startCanary was given, and every step
 * with its idempotency key, whether it completed, and its report. It is the source of truth across
 * worker restarts: a completed key never runs its script again; a started one runs again with the same key.
 * Written atomically (temp file, fsync, rename, fsync of the directory), so a crash leaves the old or the new
 * ledger, never half of one.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CommandTargetError } from './errors.js';

export const stepNameSchema = z.enum(['deploy-canary', 'set-weight', 'promote', 'rollback', 'stop']);
export type StepName = z.infer<typeof stepNameSchema>;

const versionSchema = z.object({ label: z.string(), sha: z.string().min(1), dir: z.string().min(1) });

/** What later steps need from startCanary's spec, even in another process after a crash. */
export const ledgerSpecSchema = z.object({
  service: z.string().min(1),
  stable: versionSchema,
  canary: versionSchema,
  percent: z.number(),
});
export type LedgerSpec = z.infer<typeof ledgerSpecSchema>;

export const recordedReportSchema = z.object({
  outputSha256: z.string().nullable(),
  url: z.string().nullable().optional(),
  stableHealthy: z.boolean().optional(),
});
export type RecordedReport = z.infer<typeof recordedReportSchema>;

export const ledgerEntrySchema = z.object({
  key: z.string().min(1),
  step: stepNameSchema,
  /** The step's argument (the percent of set-weight), part of its key. */
  argument: z.string().nullable(),
  status: z.enum(['started', 'completed']),
  attempts: z.number().int().min(0),
  startedAt: z.string(),
  completedAt: z.string().nullable(),
  /** Why the last attempt failed, while the step has not completed. */
  lastError: z.string().nullable(),
  report: recordedReportSchema.nullable(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const ledgerSchema = z.object({
  schemaVersion: z.literal(1),
  deploymentId: z.string().min(1),
  spec: ledgerSpecSchema,
  entries: z.array(ledgerEntrySchema),
});
export type Ledger = z.infer<typeof ledgerSchema>;

export function ledgerPath(stateDir: string, deploymentId: string): string {
  return path.join(stateDir, `${encodeURIComponent(deploymentId)}.json`);
}

export async function readLedger(stateDir: string, deploymentId: string): Promise<Ledger | null> {
  const file = ledgerPath(stateDir, deploymentId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = ledgerSchema.safeParse(parseJson(text));
  if (!parsed.success || parsed.data.deploymentId !== deploymentId) {
    throw new CommandTargetError('invalid_state', `the ledger of deployment ${deploymentId} (${file}) is unreadable; inspect it, then fix or delete it`);
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function writeLedger(stateDir: string, ledger: Ledger): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = ledgerPath(stateDir, ledger.deploymentId);
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(ledgerSchema.parse(ledger), null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dir = await open(stateDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The entry a call is about: an earlier one it retries, or a new one with a fresh key. */
export type StepPlan = { kind: 'retry'; entry: LedgerEntry } | { kind: 'new'; key: string };

/**
 * Single-shot steps (deploy-canary, promote, rollback, stop) have one key per deployment: calling one again
 * is always a retry. set-weight is keyed by its percent, and calling it again is a retry only when it is the
 * deployment's latest step; the same percent set again after another step (25 → 50 → 25) is a new step,
 * keyed `<id>:set-weight:25#2`, so it runs (and scripts deduping by key do not skip it).
 */
export function planStep(ledger: Ledger, step: StepName, argument: string | null): StepPlan {
  const baseKey = [ledger.deploymentId, step, ...(argument === null ? [] : [argument])].join(':');
  const same = (entry: LedgerEntry) => entry.step === step && entry.argument === argument;
  if (step !== 'set-weight') {
    const entry = ledger.entries.find(same);
    return entry ? { kind: 'retry', entry } : { kind: 'new', key: baseKey };
  }
  const latest = ledger.entries.at(-1);
  if (latest && same(latest)) return { kind: 'retry', entry: latest };
  const occurrence = ledger.entries.filter(same).length + 1;
  return { kind: 'new', key: occurrence === 1 ? baseKey : `${baseKey}#${occurrence}` };
}

export function completedStep(ledger: Ledger, step: StepName): LedgerEntry | undefined {
  return ledger.entries.find((entry) => entry.step === step && entry.status === 'completed');
}
