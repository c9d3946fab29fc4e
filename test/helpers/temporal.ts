import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporalBinary } from '../../server/temporalBinaries.js';
import { startDevServer, type DevServer } from '../../server/devServer.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/bundle.js';
import { addSearchAttributes } from '../../server/searchAttributes.js';

/** The time-skipping test server from scripts/ensure-temporal (a 24 h timer takes milliseconds). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const binary = await temporalBinary('test-server');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: binary.path ? { type: 'existing-path', path: binary.path } : { type: 'cached-download' } },
  });
  await addSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
/** The workflow code bundled once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger, ...WORKFLOW_BUNDLER_OPTIONS });
  return bundle;
}

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a server on ports picked just before, again on fresh ports when one was taken meanwhile: a free
 * port can be claimed by another process between the check and the bind (the dev server also picks its
 * HTTP API port itself), and tests or benches running side by side do exactly that.
 */
export async function onFreePorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !String(error).includes('address already in use')) throw error;
    }
  }
}

/** A real `temporal server start-dev` on free ports with its own database, for end-to-end tests. */
export async function startTestDevServer(): Promise<DevServer & { dir: string; cliPath: string }> {
  const binary = await temporalBinary('cli');
  if (!binary.path) throw new Error('no Temporal CLI binary: run scripts/ensure-temporal');
  const cliPath = binary.path;
  const dir = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-server-'));
  const server = await onFreePorts(async () => startDevServer({
    cliPath,
    dbFile: path.join(dir, 'temporal.sqlite'),
    logFile: path.join(dir, 'server.log'),
    port: await freePort(),
    uiPort: await freePort(),
    detached: false,
  }));
  return { ...server, dir, cliPath };
}

let runtimeInstalled = false;
/** Workflow and worker logs at WARN, so test output shows failures rather than every decision. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
}
