/**
 * A real `temporal server start-dev` on a persisted SQLite file that a test can SIGKILL and start again
 * on the same file and the same port, so workers and clients reconnect to the same address.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../../server/devServer.js';
import { temporalBinary } from '../../../server/temporalBinaries.js';
import { freePort } from '../../helpers/temporal.js';
import { waitAllDead } from '../../helpers/processes.js';

export interface FaultServer {
  address: string;
  cliPath: string;
  dir: string;
  /** pid of the server process now running */
  pid(): number;
  /** SIGKILL: no shutdown, whatever was in flight is lost except what SQLite already has. */
  kill(): Promise<void>;
  /** Starts the server again on the same database file and ports. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) and removes its directory. */
  dispose(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  const binary = await temporalBinary('cli');
  if (!binary.path) throw new Error('no Temporal CLI binary: run scripts/ensure-temporal');
  const cliPath = binary.path;
  const dir = await mkdtemp(path.join(tmpdir(), 'prpilot-faults-server-'));
  const options = {
    cliPath,
    dbFile: path.join(dir, 'temporal.sqlite'),
    logFile: path.join(dir, 'server.log'),
    port: await freePort(),
    uiPort: await freePort(),
    detached: false,
  };
  let current: DevServer = await startDevServer(options);
  return {
    address: current.address,
    cliPath,
    dir,
    pid: () => current.pid,
    async kill() {
      process.kill(current.pid, 'SIGKILL');
      const alive = await waitAllDead([current.pid], 10_000);
      if (alive.length > 0) throw new Error(`the dev server ${current.pid} survived SIGKILL`);
    },
    async restart() {
      current = await startDevServer(options);
    },
    async dispose() {
      await current.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
