import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.js';
import { createArtifactStore } from '../activities/artifacts/store.js';
import { createOfflineAgents } from '../activities/agents.js';
import { createFileNotifier } from '../activities/notify/notifier.js';
import type { ActivityDeps, Agents } from '../activities/deps.js';
import { createLocalTarget } from '../targets/local/target.js';
import { homePaths, type HomePaths } from '../config/paths.js';
import { policySourceSha256 } from './policyHash.js';
import { freshPrebuiltBundle } from './bundle.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The real dependencies: this machine's artifact store, local deploy target and notifier. */
export async function createDeps(paths: HomePaths = homePaths(), agents: Agents = createOfflineAgents()): Promise<ActivityDeps> {
  return {
    paths,
    artifacts: createArtifactStore(paths.artifacts),
    target: createLocalTarget({ stateDir: paths.deployments, logDir: paths.logs }),
    agents,
    notifier: createFileNotifier(paths.notifications),
    policySha256: await policySourceSha256(),
    now: () => new Date(),
  };
}

/**
 * Worker options chosen for a 2-core machine running many mostly-waiting PR workflows: the cache
 * keeps waiting workflows warm, activity slots bound concurrent deploys and test runs.
 */
export async function createPrpilotWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  overrides?: Partial<WorkerOptions>;
  log?: (line: string) => void;
}): Promise<Worker> {
  const prebuilt = await freshPrebuiltBundle();
  options.log?.(prebuilt
    ? 'prpilot: using the prebuilt workflow bundle (dist/, built from the current sources)'
    : 'prpilot: bundling the workflow code (`npm run build` once makes worker starts faster)');
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.deps),
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentLocalActivityExecutions: 50,
    maxCachedWorkflows: 500,
    ...options.overrides,
  });
}
