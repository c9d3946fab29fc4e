import { TestWorkflowEnvironment } from '@temporalio/testing';
import { homePaths } from '../config/paths.js';
import { searchAttributes } from '../workflows/messages.js';
import { startDevServer, type DevServer } from './devServer.js';
import { temporalBinary } from './temporalBinaries.js';
import path from 'node:path';

/**
 * The embedded dev server for `prpilot dev` and the demo: the binary scripts/ensure-temporal finds,
 * else @temporalio/testing's download (which then lives only as long as this process).
 */
export async function startLocalServer(options: { port: number; uiPort: number; detached: boolean; log: (line: string) => void }): Promise<DevServer & { source: string }> {
  const paths = homePaths();
  const binary = await temporalBinary('cli');
  options.log(`prpilot: ${binary.source}`);
  if (binary.path) {
    const server = await startDevServer({
      cliPath: binary.path,
      dbFile: paths.devDatabase,
      logFile: path.join(paths.logs, 'temporal-dev-server.log'),
      port: options.port,
      uiPort: options.uiPort,
      detached: options.detached,
    });
    return { ...server, source: binary.source };
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: '127.0.0.1',
      port: options.port,
      ui: true,
      uiPort: options.uiPort,
      dbFilename: paths.devDatabase,
      searchAttributes: Object.values(searchAttributes),
    },
  });
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: `http://localhost:${options.uiPort}`,
    pid: process.pid,
    source: 'downloaded by @temporalio/testing (stops with this process)',
    stop: () => env.teardown(),
  };
}
