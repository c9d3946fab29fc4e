import { Client, Connection } from '@temporalio/client';
import { readEnv } from '../../config/env.js';
import { helpOption, parseCommandArgs } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { githubClientForCli } from '../startPr.js';
import { createWebhookHandler } from '../webhook/handler.js';
import { listen } from '../webhook/server.js';
import { createTemporalStarter } from '../webhook/temporalStarter.js';
import type { Command } from './command.js';

const spec = {
  name: 'webhook',
  summary: 'GitHub webhook receiver (HMAC-verified) that starts and signals PR workflows',
  usage: 'prpilot webhook [--port 8787] [--host 0.0.0.0]',
  details: [
    'Point a GitHub webhook (content type application/json, events: Pull requests) at http://HOST:PORT/ with the',
    'secret in PRPILOT_WEBHOOK_SECRET. opened/reopened start the PR\'s workflow (as `prpilot start --repo OWNER/NAME',
    '--pr N`); synchronize sends revisionPushed to the running workflow, or starts one on the new head when none runs.',
    'PRs from forks are not started automatically. GET /healthz answers 200.',
    'Environment: PRPILOT_WEBHOOK_SECRET and GITHUB_TOKEN (required), GITHUB_API_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,',
    'PRPILOT_TASK_QUEUE. Workers need GITHUB_TOKEN too.',
  ].join('\n'),
  options: { ...helpOption, port: { type: 'string' }, host: { type: 'string' } },
} as const;

export const webhookCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const port = parsePort(values.port ?? '8787');
    const host = values.host ?? '0.0.0.0';
    const env = readEnv();
    if (!env.PRPILOT_WEBHOOK_SECRET) {
      throw new UsageError('PRPILOT_WEBHOOK_SECRET is not set: set it to the secret configured on the GitHub webhook (every delivery is checked against it)');
    }
    const github = githubClientForCli(env, 'the webhook reads pull requests, diffs and config from GitHub');
    // Lazy: the receiver starts even while Temporal is down, and answers 503 (GitHub may redeliver) until it is back.
    const connection = Connection.lazy({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5 seconds' });
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const handler = createWebhookHandler({
      secret: env.PRPILOT_WEBHOOK_SECRET,
      starter: createTemporalStarter({ client, env, github }),
      log: io.err,
    });
    const server = await listen(handler, port, host).catch((error: Error) => {
      throw new UsageError(`cannot listen on ${host}:${port}: ${error.message}`);
    });
    io.err(`prpilot webhook: listening on ${server.url} (Temporal ${env.TEMPORAL_ADDRESS}, namespace ${env.TEMPORAL_NAMESPACE}, GitHub ${env.GITHUB_API_URL}); Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.close();
    await connection.close();
    io.err('prpilot webhook: stopped');
    return EXIT.ok;
  },
};

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number (got ${JSON.stringify(raw)})`);
  return port;
}
