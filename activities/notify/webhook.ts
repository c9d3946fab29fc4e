/**
 * A plain JSON webhook with a versioned body, an `Idempotency-Key` that is the same on every retry of
 * one notification, and, with a secret, an HMAC-SHA256 signature of the exact bytes sent.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_NOTIFY_TIMEOUT_MS, postNotification } from './http.js';
import { escalationCommands, isEscalation } from './message.js';
import { notificationEventSchema, type Notification, type NotificationTarget } from './notifier.js';

export const WEBHOOK_PAYLOAD_TYPE = 'prpilot.notification';
export const WEBHOOK_PAYLOAD_VERSION = 1;
export const SIGNATURE_HEADER = 'x-prpilot-signature-256';

/** Version 1 of the body. Fields are only ever added within a version; a breaking change bumps it. */
export const webhookPayloadSchema = z.object({
  type: z.literal(WEBHOOK_PAYLOAD_TYPE),
  version: z.literal(WEBHOOK_PAYLOAD_VERSION),
  /** Equals the Idempotency-Key header: the same on every retry of this notification. */
  id: z.string(),
  event: notificationEventSchema,
  workflowId: z.string(),
  title: z.string(),
  text: z.string(),
  artifactSha256: z.string().nullable(),
  /** The run's page in the Temporal UI, when the worker knows the UI's address (PRPILOT_UI_URL). */
  url: z.string().nullable(),
  /** For approval_requested and approval_reminder: the commands that answer the request. */
  commands: z.object({ approve: z.string(), reject: z.string(), status: z.string() }).nullable(),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export interface WebhookTargetOptions {
  url: string;
  /** Signs each body: `X-Prpilot-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. */
  secret?: string;
  workflowUrl?: (workflowId: string) => string;
  timeoutMs?: number;
}

export function webhookPayload(notification: Notification, id: string, workflowUrl?: string): WebhookPayload {
  return {
    type: WEBHOOK_PAYLOAD_TYPE,
    version: WEBHOOK_PAYLOAD_VERSION,
    id,
    event: notification.event,
    workflowId: notification.workflowId,
    title: notification.title,
    text: notification.text,
    artifactSha256: notification.artifactSha256 ?? null,
    url: workflowUrl ?? null,
    commands: isEscalation(notification.event) ? escalationCommands(notification.workflowId) : null,
  };
}

/** The signature header's value, as GitHub formats its own: `sha256=` and the hex digest. */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function createWebhookTarget(options: WebhookTargetOptions): NotificationTarget {
  return {
    name: 'webhook',
    async deliver(notification, delivery) {
      const body = JSON.stringify(webhookPayload(notification, delivery.key, options.workflowUrl?.(notification.workflowId)));
      await postNotification({
        target: 'webhook',
        url: options.url,
        body,
        headers: {
          'idempotency-key': delivery.key,
          'x-prpilot-event': notification.event,
          ...(options.secret ? { [SIGNATURE_HEADER]: webhookSignature(body, options.secret) } : {}),
        },
        timeoutMs: options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
        ...(delivery.signal ? { signal: delivery.signal } : {}),
      });
    },
  };
}
