import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createActivities } from '../activities/index.js';
import { createArtifactStore } from '../activities/artifacts/store.js';
import { createOfflineAgents } from '../activities/agents.js';
import { notifierFromEnv } from '../activities/notify/select.js';
import type { ActivityDeps, Agents } from '../activities/deps.js';
import { createLocalTarget } from '../targets/local/target.js';
import { homePaths, type HomePaths } from '../config/paths.js';
import { policySourceSha256 } from './policyHash.js';
import { freshPrebuiltBundle, WORKFLOW_BUNDLER_OPTIONS } from './bundle.js';
import { dataConverterFromEnv } from './dataConverter.js';
import { readEnv, workflowUrl } from '../config/env.js';
import { githubClientFactoryFromEnv } from '../github/fromEnv.js';
import type { DataConverter } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { deployLockActivities } from '../activities/lock/index.js';
import { createCommandTarget } from '../targets/command/target.js';
import type { WorkerObservability } from './telemetry.js';
import { capWorkflowThreadHeap, workflowMemoryPlan } from './workflowMemory.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The real dependencies: this machine's artifact store, local deploy target and notifier. */
export async function createDeps(paths: HomePaths = homePaths(), agents: Agents = createOfflineAgents()): Promise<ActivityDeps> {
  const artifacts = createArtifactStore(paths.artifacts);
  return {
    paths,
    artifacts,
    target: createLocalTarget({ stateDir: paths.deployments, logDir: paths.logs, prometheusTargetsDir: paths.prometheusTargets }),
    commandTarget: (config) => createCommandTarget({ config, stateDir: path.join(paths.home, 'command-deployments'), artifacts, logDir: paths.logs }),
    agents,
    // The log file always; Slack and a webhook too when PRPILOT_SLACK_WEBHOOK_URL / PRPILOT_NOTIFY_WEBHOOK_URL are set.
    notifier: notifierFromEnv(readEnv(), paths.notifications),
    github: githubClientFactoryFromEnv(),
    workflowUrl: (workflowId) => workflowUrl(readEnv(), workflowId),
    policySha256: await policySourceSha256(),
    now: () => new Date(),
  };
}

/**
 * Worker options chosen for a 2-core machine running many mostly-waiting PR workflows (bench/scale.ts,
 * docs/scaling.md): the workflow thread's heap is capped and the cache sized to fit it
 * (PRPILOT_WORKFLOW_MEMORY_MB), activity slots bound concurrent deploys and test runs.
 */
export async function createPrpilotWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  overrides?: Partial<WorkerOptions>;
  log?: (line: string) => void;
  /** Defaults to the one PRPILOT_ENCRYPTION_KEY describes (the SDK's default without a key). */
  dataConverter?: DataConverter;
  /** Tracing and metrics interceptors (workers/telemetry.ts, workers/metrics.ts); none by default. */
  observability?: WorkerObservability;
}): Promise<Worker> {
  const env = readEnv();
  const dataConverter = 'dataConverter' in options ? options.dataConverter : dataConverterFromEnv(env);
  const memory = workflowMemoryPlan(env.PRPILOT_WORKFLOW_MEMORY_MB);
  capWorkflowThreadHeap(memory);
  const workflowModules = options.observability?.workflowModules ?? [];
  // The prebuilt bundle has no workflow interceptors: with tracing on, the workflow code is bundled with them.
  const prebuilt = workflowModules.length > 0 ? null : await freshPrebuiltBundle();
  options.log?.(prebuilt
    ? 'prpilot: using the prebuilt workflow bundle (dist/, built from the current sources)'
    : workflowModules.length > 0
      ? 'prpilot: bundling the workflow code with the OpenTelemetry interceptors (PRPILOT_OTEL=1)'
      : 'prpilot: bundling the workflow code (`npm run build` once makes worker starts faster)');
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS }),
    activities: {
      ...createActivities(options.deps),
      // The deploy lock's activities start and check workflows: they need a client on this connection.
      ...deployLockActivities({ client: new Client({ connection: options.connection, namespace: options.namespace, dataConverter }), taskQueue: options.taskQueue }),
    },
    dataConverter,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentLocalActivityExecutions: 50,
    maxCachedWorkflows: memory.maxCachedWorkflows,
    interceptors: { workflowModules, activity: options.observability?.activity ?? [] },
    ...(options.observability?.sinks ? { sinks: options.observability.sinks } : {}),
    ...options.overrides,
  });
}
