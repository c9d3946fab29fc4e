import { Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { PrpilotEnv } from '../config/env.js';
import { temporalConnectionOptions } from '../config/temporalConnection.js';
import { homePaths } from '../config/paths.js';
import type { ActivityDeps } from '../activities/deps.js';
import { reapOrphans } from '../targets/local/target.js';
import { missingSearchAttributes } from '../server/searchAttributes.js';
import { createDeps, createPrpilotWorker } from './worker.js';
import { AgentSetupError, agentsFor } from '../activities/agents.js';
import { installWorkerRuntime, pipelineMetrics } from './metrics.js';
import { flushTracing, tracingFromEnv, workerObservability } from './telemetry.js';

export class WorkerSetupError extends Error {}

export interface WorkerRuntime {
  worker: Worker;
  deps: ActivityDeps;
  connection: NativeConnection;
  /** Stops every deploy process this worker started and closes the connection. Call after run(). */
  cleanup(): Promise<void>;
}

/** A worker ready to run against `address`, after checking the namespace is set up. */
export async function createWorkerRuntime(env: PrpilotEnv, options: { address?: string; log?: (line: string) => void } = {}): Promise<WorkerRuntime> {
  const address = options.address ?? env.TEMPORAL_ADDRESS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Before the first connection: the runtime, with the Prometheus endpoint when PRPILOT_METRICS_PORT is set.
  let metricsAddress: string | null;
  try {
    metricsAddress = installWorkerRuntime(env, {}, log);
  } catch (error) {
    throw new WorkerSetupError(`cannot serve metrics on PRPILOT_METRICS_PORT=${env.PRPILOT_METRICS_PORT}: ${(error as Error).message}`);
  }
  const connection = await NativeConnection.connect(temporalConnectionOptions(env, address)).catch((error: Error) => {
    throw new WorkerSetupError(`cannot reach Temporal at ${address}: ${error.message}\nstart one with \`prpilot dev\`, or set TEMPORAL_ADDRESS`);
  });
  const client = await Connection.connect(temporalConnectionOptions(env, address));
  const missing = await missingSearchAttributes(client, env.TEMPORAL_NAMESPACE).finally(() => client.close());
  if (missing.length > 0) {
    await connection.close();
    throw new WorkerSetupError(`namespace ${env.TEMPORAL_NAMESPACE} lacks the search attributes ${missing.join(', ')}: run \`prpilot setup\` first`);
  }
  const paths = homePaths();
  const reaped = await reapOrphans(paths.deployments);
  if (reaped.length > 0) log(`prpilot worker: stopped processes left by a crashed worker: ${reaped.join(', ')}`);
  const agents = await agentsFor(env, log).catch((error: unknown) => {
    throw error instanceof AgentSetupError ? new WorkerSetupError(error.message) : error;
  });
  const deps = await createDeps(paths, agents);
  const tracing = await tracingFromEnv(env);
  const observability = workerObservability(tracing, metricsAddress ? [pipelineMetrics()] : []);
  const worker = await createPrpilotWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.PRPILOT_TASK_QUEUE, deps, log, observability });
  if (metricsAddress) log(`prpilot worker: Prometheus metrics on http://${metricsAddress}/metrics`);
  if (tracing) log(`prpilot worker: tracing on (service ${tracing.serviceName}, exporter ${env.PRPILOT_OTEL_EXPORTER})`);
  return {
    worker,
    deps,
    connection,
    async cleanup() {
      await deps.target.stopAll();
      await connection.close();
      await flushTracing();
    },
  };
}
