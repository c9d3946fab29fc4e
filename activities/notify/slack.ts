/** Slack incoming webhooks (and Slack-compatible receivers: Mattermost, Rocket.Chat, Discord's /slack). */
import { DEFAULT_NOTIFY_TIMEOUT_MS, postNotification } from './http.js';
import { EVENT_LABELS, escalationCommands, isEscalation, truncate } from './message.js';
import type { Notification, NotificationTarget } from './notifier.js';

export interface SlackTargetOptions {
  webhookUrl: string;
  /** The run's page in the Temporal UI, when the UI's address is known. */
  workflowUrl?: (workflowId: string) => string;
  timeoutMs?: number;
}

type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject }
  | { type: 'context'; elements: TextObject[] };

export interface SlackMessage {
  /** The notification preview and the fallback where blocks are not shown. */
  text: string;
  blocks: SlackBlock[];
}

// Slack's limits: a header's text 150 characters, a section's 3000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;

/**
 * A header naming the event, the title and the reason, the approve/reject commands for escalations,
 * and the run's id and UI link. PR titles are the PR author's text: escaped, so `<!channel>` or a
 * crafted link in a title shows as typed instead of pinging the channel.
 */
export function slackMessage(notification: Notification, workflowUrl?: string): SlackMessage {
  const label = EVENT_LABELS[notification.event];
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(label, HEADER_MAX) } },
    { type: 'section', text: mrkdwn(truncate(`*${escapeMrkdwn(notification.title)}*\n${escapeMrkdwn(notification.text)}`, SECTION_MAX)) },
  ];
  if (isEscalation(notification.event)) {
    const commands = escalationCommands(notification.workflowId);
    blocks.push({ type: 'section', text: mrkdwn(`Approve:\n\`\`\`${escapeMrkdwn(commands.approve)}\`\`\`\nReject:\n\`\`\`${escapeMrkdwn(commands.reject)}\`\`\``) });
  }
  const context = [`workflow \`${escapeMrkdwn(notification.workflowId)}\``];
  if (workflowUrl) context.push(`<${escapeMrkdwn(workflowUrl)}|open in Temporal UI>`);
  if (notification.artifactSha256) context.push(`artifact sha256 \`${escapeMrkdwn(notification.artifactSha256)}\``);
  blocks.push({ type: 'context', elements: [mrkdwn(context.join(' · '))] });
  return { text: truncate(`${label}: ${escapeMrkdwn(notification.title)}`, SECTION_MAX), blocks };
}

export function createSlackTarget(options: SlackTargetOptions): NotificationTarget {
  return {
    name: 'slack',
    async deliver(notification, delivery) {
      const message = slackMessage(notification, options.workflowUrl?.(notification.workflowId));
      await postNotification({
        target: 'slack',
        url: options.webhookUrl,
        body: JSON.stringify(message),
        headers: {},
        timeoutMs: options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
        ...(delivery.signal ? { signal: delivery.signal } : {}),
      });
    },
  };
}

function mrkdwn(text: string): TextObject {
  return { type: 'mrkdwn', text };
}

/** Slack's three control characters; everything else in mrkdwn is harmless formatting. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
