/** A private Temporal dev server per benchmark, its connections, and bundled workflow code. */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { quietRuntime, startTestDevServer } from '../../test/helpers/temporal.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';
import type { Workspace } from './workspace.js';

export interface BenchServer {
  address: string;
  cliPath: string;
  pid: number;
  client: Client;
  nativeConnection: NativeConnection;
  /** Closes the connections and stops the server now (otherwise done at the workspace's cleanup). */
  stop(): Promise<void>;
}

/** `temporal server start-dev` on free ports with its own database (search attributes registered); stopped at cleanup. */
export async function benchDevServer(workspace: Workspace): Promise<BenchServer> {
  quietRuntime();
  const server = await startTestDevServer();
  const connections: { close(): Promise<void> }[] = [];
  const stop = workspace.onCleanup(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await server.stop();
    await rm(server.dir, { recursive: true, force: true });
  });
  const connection = await Connection.connect({ address: server.address });
  connections.push(connection);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  connections.push(nativeConnection);
  return { address: server.address, cliPath: server.cliPath, pid: server.pid, client: new Client({ connection }), nativeConnection, stop };
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
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const codePath = path.join(workspace.root, fileName);
  await writeFile(codePath, code);
  return { code, codePath };
}
