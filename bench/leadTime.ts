/**
 * End-to-end lead time: `prpilot start --wait` of the demo's clean PR, from `start` to `deployed`.
 *
 * Everything real: a dev server persisted in SQLite (as `prpilot dev` and the demo run it), `prpilot
 * worker` as its own process with the offline agents, the demo repository (cli/demo/buildRepo.ts) and
 * its config's short windows, its test suite, and the local deploy target (real service processes,
 * weighted proxy, load generator). The stages come from the audit records' timestamps
 * (`prpilot audit ID --format json`): each stage lasts from the previous record to its own last one.
 *
 * Baseline: the waits the config asks for (staging perf window + every canary step), which no
 * orchestration can shorten. Ratio: lead time ÷ configured waits (informational: the issue sets no target).
 *
 *   node --import tsx bench/leadTime.ts [--runs 2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { buildDemoRepo } from '../cli/demo/buildRepo.js';
import { canarySteps, prpilotConfigSchema } from '../config/schema.js';
import { demoServiceDir } from '../examples/demo-service/pr-changes/index.js';
import { PRPILOT, processesMentioning, runCli } from '../test/helpers/cli.js';
import { stopChild, waitForOutput } from './lib/child.js';
import { median, printTable, round, writeResult } from './lib/result.js';
import { benchDevServer } from './lib/temporal.js';
import { numberFlag, withWorkspace } from './lib/workspace.js';

const runs = numberFlag('runs', 2);
const config = prpilotConfigSchema.parse(JSON.parse(readFileSync(path.join(demoServiceDir, 'prpilot.config.json'), 'utf8')));
const configuredWaitSeconds = config.staging.perfWindowSeconds + canarySteps(config.canary).reduce((sum, step) => sum + step.durationSeconds, 0);

const auditSchema = z.object({
  startTime: z.string(),
  closeTime: z.string().nullable(),
  result: z.object({ outcome: z.string() }).nullable(),
  records: z.array(z.object({ stage: z.string(), decision: z.string(), at: z.string() })),
});

interface Run {
  workflowId: string;
  exitCode: number | null;
  /** `prpilot start` spawned → it exited with the outcome */
  leadSeconds: number;
  /** workflow started → closed (from the server) */
  workflowSeconds: number;
  stages: { stage: string; seconds: number }[];
}

const startedAt = Date.now();
const measured = await withWorkspace('lead-time', async (workspace) => {
  const server = await benchDevServer(workspace, 'file');
  const home = path.join(workspace.root, 'home');
  const env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', PRPILOT_ENCRYPTION_KEY: '' };
  const repo = await buildDemoRepo(workspace.root);
  const clean = repo.branches.find((entry) => entry.pr.key === 'clean');
  if (!clean) throw new Error('the demo has no clean PR');
  const worker = spawn(PRPILOT, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let workerLog = '';
  const collect = (chunk: Buffer) => { workerLog += chunk.toString(); };
  worker.stdout?.on('data', collect);
  worker.stderr?.on('data', collect);
  workspace.onCleanup(() => stopWorker(worker, home, () => workerLog));
  await waitForOutput(worker, (output) => output.includes('polling task queue'), 180_000, 'prpilot worker');

  const all: Run[] = [];
  for (let index = 0; index < runs; index++) {
    const prNumber = clean.number + 1000 * (index + 1);
    const t0 = performance.now();
    const start = await runCli(['start', '--repo', repo.path, '--base', repo.base, '--head', clean.branch, '--pr', String(prNumber), '--json', '--wait'], env, { timeoutMs: 600_000 });
    const leadSeconds = (performance.now() - t0) / 1000;
    const workflowId = (JSON.parse(start.stdout.split('\n')[0] ?? '{}') as { workflowId?: string }).workflowId;
    if (!workflowId) throw new Error(`prpilot start printed no workflow id (exit ${start.code}):\n${start.stdout}\n${start.stderr}\nworker:\n${workerLog.slice(-3000)}`);
    const audit = await runCli(['audit', workflowId, '--format', 'json'], env);
    if (audit.code !== 0) throw new Error(`prpilot audit ${workflowId} failed: ${audit.stderr}`);
    const trail = auditSchema.parse(JSON.parse(audit.stdout));
    const run: Run = {
      workflowId,
      exitCode: start.code,
      leadSeconds,
      workflowSeconds: (Date.parse(trail.closeTime ?? trail.startTime) - Date.parse(trail.startTime)) / 1000,
      stages: stagesOf(trail.startTime, trail.records),
    };
    all.push(run);
    console.log(`run ${index + 1}: ${workflowId} exit ${start.code} (${trail.result?.outcome ?? 'no result'}) in ${round(leadSeconds, 1)} s; workflow ${round(run.workflowSeconds, 1)} s`);
  }
  return all;
});

/** Consecutive records of one stage make one span, from the previous span's end to its last record. */
function stagesOf(startTime: string, records: z.infer<typeof auditSchema>['records']): Run['stages'] {
  const spans: Run['stages'] = [];
  let previous = Date.parse(startTime);
  for (const [index, record] of records.entries()) {
    const at = Date.parse(record.at);
    if (records[index + 1]?.stage === record.stage) continue;
    spans.push({ stage: record.stage, seconds: (at - previous) / 1000 });
    previous = at;
  }
  return spans;
}

/** SIGINT, as Ctrl-C: the worker stops every deploy process it started; then nothing may be left. */
async function stopWorker(worker: ChildProcess, home: string, log: () => string): Promise<void> {
  const code = await stopChild(worker, 'SIGINT', 30_000);
  if (code !== 0) console.error(`prpilot worker exited with ${code}:\n${log().slice(-2000)}`);
  const left = processesMentioning(home);
  for (const process_ of left) {
    console.error(`left running, stopping: ${process_.pid} ${process_.cmdline}`);
    try { process.kill(process_.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  }
}

const deployed = measured.filter((run) => run.exitCode === 0);
const leadMedian = median(measured.map((run) => run.leadSeconds));
const stageNames = [...new Set(measured.flatMap((run) => run.stages.map((stage) => stage.stage)))];
const stageMedian = (name: string) => median(measured.map((run) => run.stages.filter((stage) => stage.stage === name).reduce((sum, stage) => sum + stage.seconds, 0)));
console.log(`\n## Lead time of the demo's clean PR (median of ${measured.length}; configured waits: staging ${config.staging.perfWindowSeconds} s + canary ${configuredWaitSeconds - config.staging.perfWindowSeconds} s)\n`);
printTable(['span', 'median s'], [
  ['`prpilot start --wait` → exit (deployed)', round(leadMedian, 1)],
  ['workflow start → close (server)', round(median(measured.map((run) => run.workflowSeconds)), 1)],
  ...stageNames.map((name) => [`  stage ${name}`, round(stageMedian(name), 1)] as [string, number]),
  ['CLI outside the workflow (prepare, start, follow)', round(leadMedian - median(measured.map((run) => run.workflowSeconds)), 1)],
  ['configured waits (baseline)', configuredWaitSeconds],
]);

const figures: Record<string, number> = {
  leadSeconds: round(leadMedian, 1),
  workflowSeconds: round(median(measured.map((run) => run.workflowSeconds)), 1),
  deployedRuns: deployed.length,
};
for (const name of stageNames) figures[`stage_${name}_seconds`] = round(stageMedian(name), 1);
console.log(`\nTook ${Math.round((Date.now() - startedAt) / 1000)} s.`);
writeResult({
  name: 'lead-time',
  figures,
  baseline: { configuredWaitSeconds, stagingPerfWindowSeconds: config.staging.perfWindowSeconds, canarySeconds: configuredWaitSeconds - config.staging.perfWindowSeconds },
  ratio: round(leadMedian / configuredWaitSeconds, 2),
  target: 'informational (no target set): lead time ÷ configured waits; met = every run deployed',
  met: deployed.length === measured.length,
  notes: `median of ${measured.length} run(s) of \`prpilot start --wait\` on the demo's clean PR: real worker process (offline agents), real tests, real local deploy target, dev server in SQLite; `
    + 'stages from the audit records\' timestamps (a stage lasts from the previous record to its own last record; canary includes the deploy lock, starting the versions and the watch; done includes stopping the deployment and releasing the lock)',
});
