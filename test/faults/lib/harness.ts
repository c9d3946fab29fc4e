/**
 * One fault-case environment: a restartable dev server, a PRPILOT_HOME, a `prpilot worker` child
 * process, the fault repo, a Temporal client for reading runs (works while no worker runs), and the
 * real CLI for starting them. Every wait is a bounded poll on a condition.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { prResultSchema, type PrResult } from '../../../workflows/input.js';
import { searchAttributes, statusQuery, statusSchema, type PipelineStatus, type Stage } from '../../../workflows/messages.js';
import { processesMentioning, runCli, type CliRun } from '../../helpers/cli.js';
import { waitAllDead } from '../../helpers/processes.js';
import { startPrometheusStub, type PrometheusStub } from './prometheusStub.js';
import { buildFaultRepo, type FaultBranch, type FaultRepo } from './repo.js';
import { startFaultServer, type FaultServer } from './server.js';
import { WaitAbort, waitUntil } from './wait.js';
import { workerProcess, type WorkerProcess } from './worker.js';

export interface StartOptions {
  head: FaultBranch;
  pr: number;
  config: string;
  author?: string;
}

export interface FaultEnv {
  server: FaultServer;
  home: string;
  env: NodeJS.ProcessEnv;
  worker: WorkerProcess;
  repo: FaultRepo;
  client: Client;
  cli(args: string[], timeoutMs?: number): Promise<CliRun>;
  /** `prpilot start … --json` (never `--wait`); returns the workflow id. */
  start(options: StartOptions): Promise<string>;
  /** The same, with the run id and what `start` said about the revision (`revision` in its JSON, if any). */
  startRun(options: StartOptions): Promise<{ workflowId: string; runId: string; stdout: string; stderr: string }>;
  handle(workflowId: string): WorkflowHandle;
  /** The stage from the run's search attribute: the server's view, readable while no worker runs. */
  stage(workflowId: string): Promise<Stage | null>;
  waitForStage(workflowId: string, wanted: Stage | Stage[], timeoutMs?: number): Promise<Stage>;
  /** The live status by query (needs a worker). */
  status(workflowId: string): Promise<PipelineStatus>;
  waitForStatus(workflowId: string, what: string, predicate: (status: PipelineStatus) => boolean, timeoutMs?: number): Promise<PipelineStatus>;
  /** The run's result once it has closed; fails if it closed any other way than completing. */
  result(workflowId: string, timeoutMs?: number): Promise<PrResult>;
  /** Text for failure messages: the worker's output. */
  diagnostics(): string;
  /** Stops the worker cleanly, checks no process of this home survived, removes everything. */
  dispose(): Promise<void>;
}

export async function setUpFaultEnv(extraEnv: NodeJS.ProcessEnv = {}): Promise<FaultEnv> {
  const server = await startFaultServer();
  const home = await mkdtemp(path.join(tmpdir(), 'prpilot-faults-home-'));
  const env: NodeJS.ProcessEnv = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', ...extraEnv };
  const repo = await buildFaultRepo(home);
  const setup = await runCli(['setup'], env);
  assert.equal(setup.code, 0, setup.stderr);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const worker = workerProcess(env);
  const diagnostics = () => `worker log:\n${worker.log()}`;

  const stage = async (workflowId: string): Promise<Stage | null> => {
    const description = await client.workflow.getHandle(workflowId).describe();
    return (description.typedSearchAttributes.get(searchAttributes.stage) as Stage | undefined) ?? null;
  };

  const faultEnv: FaultEnv = {
    server, home, env, worker, repo, client,
    cli: (args, timeoutMs) => runCli(args, env, { timeoutMs }),
    async start(options) {
      return (await faultEnv.startRun(options)).workflowId;
    },
    async startRun({ head, pr, config, author }) {
      const run = await runCli(['start', '--repo', repo.path, '--base', 'main', '--head', head, '--pr', String(pr), '--config', config, '--json',
        ...(author ? ['--author', author] : [])], env);
      assert.equal(run.code, 0, `start ${head} #${pr}: ${run.stdout}\n${run.stderr}`);
      const started = JSON.parse(run.stdout.split('\n')[0] ?? '') as { workflowId: string; runId: string };
      return { workflowId: started.workflowId, runId: started.runId, stdout: run.stdout, stderr: run.stderr };
    },
    handle: (workflowId) => client.workflow.getHandle(workflowId),
    stage,
    async waitForStage(workflowId, wanted, timeoutMs = 180_000) {
      const stages = Array.isArray(wanted) ? wanted : [wanted];
      return waitUntil(`${workflowId} at stage ${stages.join(' or ')}`, async () => {
        const now = await stage(workflowId);
        if (now === 'done' && !stages.includes('done')) throw new WaitAbort(new Error(`${workflowId} ended before reaching ${stages.join('/')}: ${JSON.stringify(await client.workflow.getHandle(workflowId).result().catch(String))}`));
        return now !== null && stages.includes(now) ? now : null;
      }, { timeoutMs, everyMs: 100, context: diagnostics });
    },
    async status(workflowId) {
      const handle = client.workflow.getHandle(workflowId);
      return statusSchema.parse(await client.connection.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery)));
    },
    async waitForStatus(workflowId, what, predicate, timeoutMs = 180_000) {
      return waitUntil(`${workflowId}: ${what}`, async () => {
        const status = await faultEnv.status(workflowId);
        return predicate(status) ? status : null;
      }, { timeoutMs, everyMs: 250, context: diagnostics });
    },
    async result(workflowId, timeoutMs = 300_000) {
      const handle = client.workflow.getHandle(workflowId);
      const closed = await waitUntil(`${workflowId} to end`, async () => {
        const description = await handle.describe();
        return description.status.name === 'RUNNING' ? null : description.status.name;
      }, { timeoutMs, everyMs: 250, context: diagnostics });
      assert.equal(closed, 'COMPLETED', `${workflowId} closed as ${closed}\n${diagnostics()}`);
      return prResultSchema.parse(await handle.result());
    },
    diagnostics,
    async dispose() {
      await worker.stop();
      const left = processesMentioning(home);
      const alive = await waitAllDead(left.map((entry) => entry.pid), 10_000);
      for (const pid of alive) process.kill(pid, 'SIGKILL');
      await connection.close();
      await server.dispose();
      await rm(home, { recursive: true, force: true });
      assert.deepEqual(alive, [], `processes left after the worker stopped: ${JSON.stringify(left.filter((entry) => alive.includes(entry.pid)))}`);
    },
  };
  return faultEnv;
}

/** What the canary's fault suites share: a fault environment with its worker started, and a Prometheus stub. */
export interface CanaryFaultSuite {
  env: FaultEnv;
  prometheus: PrometheusStub;
}

export async function setUpCanaryFaultSuite(): Promise<CanaryFaultSuite> {
  const prometheus = await startPrometheusStub();
  let env: FaultEnv | undefined;
  try {
    env = await setUpFaultEnv();
    await env.worker.start();
    return { env, prometheus };
  } catch (error) {
    await tearDownCanaryFaultSuite({ env, prometheus });
    throw error;
  }
}

/** Tears down what setUpCanaryFaultSuite set up, as far as it got. */
export async function tearDownCanaryFaultSuite(suite: Partial<CanaryFaultSuite>): Promise<void> {
  await suite.env?.dispose();
  await suite.prometheus?.close();
}

/** Terminates a run a failed test left open, so the next case does not inherit it. */
export async function terminateIfRunning(env: FaultEnv, workflowId: string): Promise<void> {
  const handle = env.handle(workflowId);
  const description = await handle.describe().catch(() => null);
  if (description?.status.name === 'RUNNING') await handle.terminate('fault test cleanup').catch(() => undefined);
}
