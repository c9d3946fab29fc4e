import { readEnv } from '../../config/env.js';
import { isReachable } from '../../server/devServer.js';
import { startLocalServer } from '../../server/localServer.js';
import { ensureSearchAttributes } from '../../server/searchAttributes.js';
import { createWorkerRuntime } from '../../workers/runtime.js';
import { installWorkerRuntime } from '../../workers/metrics.js';
import { helpOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { Connection } from '@temporalio/client';
import type { Command } from './command.js';

const spec = {
  name: 'dev',
  summary: 'runs a local Temporal dev server (UI on :8233, state in .prpilot/) and a worker, foreground',
  usage: 'prpilot dev [--port 7233] [--ui-port 8233]',
  details: 'The server keeps its state in .prpilot/temporal-dev.sqlite across restarts. Ctrl-C stops the worker, then the server.',
  options: { ...helpOption, port: { type: 'string' }, 'ui-port': { type: 'string' } },
} as const;

function portOf(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} must be a port number from 1 to 65535 (got ${JSON.stringify(raw)})`);
  return port;
}

export const devCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    // Before anything connects: the runtime, with the metrics endpoint when PRPILOT_METRICS_PORT is set.
    installWorkerRuntime(readEnv(), {}, io.err);
    const port = portOf(values.port, 7233, '--port');
    const uiPort = portOf(values['ui-port'], 8233, '--ui-port');
    if (await isReachable(`127.0.0.1:${port}`)) {
      throw new CliError(`a Temporal server already answers on 127.0.0.1:${port}; run \`prpilot worker\` against it, or pick another --port`);
    }
    const server = await startLocalServer({ port, uiPort, detached: false, log: io.err });
    const env = readEnv({ ...process.env, TEMPORAL_ADDRESS: server.address, PRPILOT_UI_URL: server.uiUrl });
    try {
      const connection = await Connection.connect({ address: server.address });
      await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE).finally(() => connection.close());
      const runtime = await createWorkerRuntime(env, { log: io.err });
      io.err(`prpilot dev: Temporal at ${server.address}, UI ${server.uiUrl}; worker on task queue ${env.PRPILOT_TASK_QUEUE}. Ctrl-C to stop.`);
      try {
        await runtime.worker.run();
      } finally {
        await runtime.cleanup();
      }
    } finally {
      await server.stop();
      io.err('prpilot dev: worker and server stopped');
    }
    return EXIT.ok;
  },
};
