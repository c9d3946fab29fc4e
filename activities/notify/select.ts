/** Which channels the worker notifies: always the team log file, plus Slack and a webhook when configured. */
import { EnvError, workflowUrl, type PrpilotEnv } from '../../config/env.js';
import { createFanoutNotifier, type FanoutNotifier } from './fanout.js';
import { createFileTarget, type NotificationTarget } from './notifier.js';
import { createSlackTarget } from './slack.js';
import { createWebhookTarget } from './webhook.js';

export function notifierFromEnv(env: PrpilotEnv, notificationsFile: string, options: { timeoutMs?: number } = {}): FanoutNotifier {
  // The default UI address is a guess from TEMPORAL_ADDRESS, fine for a terminal on the same machine
  // but not for a chat message read elsewhere: links go out only when PRPILOT_UI_URL says where the UI is.
  const link = env.PRPILOT_UI_URL ? (workflowId: string) => workflowUrl(env, workflowId) : undefined;
  const common = { ...(link ? { workflowUrl: link } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
  const targets: NotificationTarget[] = [createFileTarget(notificationsFile)];
  const slackUrl = checkedUrl('PRPILOT_SLACK_WEBHOOK_URL', env.PRPILOT_SLACK_WEBHOOK_URL);
  if (slackUrl) targets.push(createSlackTarget({ webhookUrl: slackUrl, ...common }));
  const webhookUrl = checkedUrl('PRPILOT_NOTIFY_WEBHOOK_URL', env.PRPILOT_NOTIFY_WEBHOOK_URL);
  if (webhookUrl) {
    const secret = env.PRPILOT_NOTIFY_WEBHOOK_SECRET;
    targets.push(createWebhookTarget({ url: webhookUrl, ...(secret ? { secret } : {}), ...common }));
  } else if (env.PRPILOT_NOTIFY_WEBHOOK_SECRET) {
    throw new EnvError('PRPILOT_NOTIFY_WEBHOOK_SECRET is set but PRPILOT_NOTIFY_WEBHOOK_URL is not: set the URL the signed notifications go to');
  }
  return createFanoutNotifier(targets);
}

/** The URL, or a message naming the variable: webhook URLs carry their secret in the path, so it is never echoed. */
function checkedUrl(variable: string, value: string | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EnvError(`${variable} is not a URL (expected https://…; the value is not shown because it holds a secret)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new EnvError(`${variable} must be an http(s) URL (got the scheme ${url.protocol})`);
  }
  return value;
}
