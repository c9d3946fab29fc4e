import { readEnv } from '../../config/env.js';
import { createWorkerRuntime, WorkerSetupError } from '../../workers/runtime.js';
import { helpOption, parseCommandArgs } from '../args.js';
import { CliError, EXIT } from '../errors.js';
import type { Command } from './command.js';

const spec = {
  name: 'worker',
  summary: 'runs a prpilot worker against TEMPORAL_ADDRESS (foreground; Ctrl-C stops it cleanly)',
  usage: 'prpilot worker',
  details: 'Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, PRPILOT_TASK_QUEUE, PRPILOT_LLM, ANTHROPIC_API_KEY, PRPILOT_MODEL, PRPILOT_HOME, PRPILOT_UI_URL, PRPILOT_ENCRYPTION_KEY, PRPILOT_ENCRYPTION_OLD_KEYS, PRPILOT_SLACK_WEBHOOK_URL, PRPILOT_NOTIFY_WEBHOOK_URL, PRPILOT_NOTIFY_WEBHOOK_SECRET, GITHUB_TOKEN, GITHUB_API_URL, PRPILOT_METRICS_PORT, PRPILOT_OTEL. See the README\'s Environment section.',
  options: { ...helpOption },
} as const;

export const workerCommand: Command = {
  spec,
  async run(argv, io) {
    parseCommandArgs(spec, argv);
    const env = readEnv();
    const runtime = await createWorkerRuntime(env, { log: io.err }).catch((error: unknown) => {
      throw error instanceof WorkerSetupError ? new CliError(error.message) : error;
    });
    io.err(`prpilot worker: polling task queue ${env.PRPILOT_TASK_QUEUE} on ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE}); Ctrl-C to stop`);
    try {
      await runtime.worker.run();
    } finally {
      await runtime.cleanup();
      io.err('prpilot worker: stopped; every deploy process it started has been stopped');
    }
    return EXIT.ok;
  },
};
