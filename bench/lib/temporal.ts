/** A private Temporal dev server per benchmark, its connections, and bundled workflow code. */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isReachable } from '../../server/devServer.js';
import { devServerSearchAttributeFlags } from '../../server/searchAttributes.js';
import { temporalBinary } from '../../server/temporalBinaries.js';
import { freePort, onFreePorts, quietRuntime } from '../../test/helpers/temporal.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/bundle.js';
import { stopChild } from './child.js';
import type { Workspace } from './workspace.js';

export interface BenchServer {
  address: string;
  cliPath: string;
  pid: number;
  /** its log (server.log) and, when persisted, its database */
  dir: string;
  client: Client;
  nativeConnection: NativeConnection;
  /** Closes the connections and stops the server now (otherwise done at the workspace's cleanup). */
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` on free ports with our search attributes and no UI. `memory` (the
 * default) keeps its state in memory; `file` in SQLite on disk as `prpilot dev` and the demo do (every
 * write then waits for the disk: on this VM's disk ~4 ms a sync, which caps the server, not prpilot).
 */
export function benchDevServer(workspace: Workspace, persistence: 'memory' | 'file' = 'memory'): Promise<BenchServer> {
  return onFreePorts(() => startBenchDevServer(workspace, persistence));
}

async function startBenchDevServer(workspace: Workspace, persistence: 'memory' | 'file'): Promise<BenchServer> {
  quietRuntime();
  const binary = await temporalBinary('cli');
  if (!binary.path) throw new Error('no Temporal CLI binary: run scripts/ensure-temporal');
  const cliPath = binary.path;
  const dir = await mkdtemp(path.join(tmpdir(), 'prpilot-bench-server-'));
  const logFile = path.join(dir, 'server.log');
  const log = await open(logFile, 'a');
  const port = await freePort();
  const child = spawn(cliPath, [
    'server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn',
    ...(persistence === 'file' ? ['--db-filename', path.join(dir, 'temporal.sqlite')] : []),
    ...devServerSearchAttributeFlags(),
  ], { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const connections: { close(): Promise<void> }[] = [];
  const stop = workspace.onCleanup(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await stopChild(child, 'SIGTERM', 10_000);
    await rm(dir, { recursive: true, force: true });
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await isReachable(address, 1_000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      await stop();
      throw new Error(`the Temporal dev server did not start; last log lines:\n${tail}`);
    }
    await sleep(250);
  }
  const connection = await Connection.connect({ address });
  connections.push(connection);
  const nativeConnection = await NativeConnection.connect({ address });
  connections.push(nativeConnection);
  return { address, cliPath, pid: child.pid ?? 0, dir, client: new Client({ connection }), nativeConnection, stop };
}

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};

/** prpilot's workflows (prToProduction and deployLock), bundled once and written to a file a child worker can load. */
export async function bundlePrpilotWorkflows(workspace: Workspace): Promise<{ code: string; codePath: string }> {
  return bundleToFile(workspace, WORKFLOWS_PATH, 'prpilot-workflows.js');
}

export async function bundleToFile(workspace: Workspace, workflowsPath: string, fileName: string): Promise<{ code: string; codePath: string }> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger, ...WORKFLOW_BUNDLER_OPTIONS });
  const codePath = path.join(workspace.root, fileName);
  await writeFile(codePath, code);
  return { code, codePath };
}
