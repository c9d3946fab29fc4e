import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const notificationEventSchema = z.enum(['approval_requested', 'approval_reminder', 'deployed', 'rolled_back', 'incident_report', 'rejected', 'expired', 'failed']);
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

export const notificationSchema = z.object({
  event: notificationEventSchema,
  workflowId: z.string(),
  title: z.string(),
  text: z.string(),
  /** Artifacts (e.g. the incident report) the receiver can fetch from the store. */
  artifactSha256: z.string().optional(),
});
export type Notification = z.infer<typeof notificationSchema>;

/** What a target needs besides the notification: one key for every retry of it, and a way to stop. */
export interface Delivery {
  /** The same on every attempt to deliver the same notification (webhook `Idempotency-Key`). */
  key: string;
  /** Aborted when the activity is cancelled. */
  signal?: AbortSignal;
}

/** One channel: the team log file, Slack, a webhook. Throws an ApplicationFailure when it cannot deliver. */
export interface NotificationTarget {
  readonly name: string;
  deliver(notification: Notification, delivery: Delivery): Promise<void>;
}

/** Which targets already took this notification, kept across Temporal's retries of one activity. */
export interface DeliveryState {
  delivered: string[];
  /** Targets that refused it for good (e.g. HTTP 404), with the reason: not tried again. */
  rejected: Record<string, string>;
}

export interface DeliveryLedger {
  load(): DeliveryState;
  save(state: DeliveryState): void;
}

export interface NotifyOptions {
  key?: string;
  ledger?: DeliveryLedger;
  signal?: AbortSignal;
}

export interface Notifier {
  notify(notification: Notification, options?: NotifyOptions): Promise<void>;
}

/** Appends one JSON line per notification to the team log file: the channel that needs no configuration. */
export function createFileTarget(file: string): NotificationTarget {
  return {
    name: 'file',
    async deliver(notification, delivery) {
      await mkdir(path.dirname(file), { recursive: true });
      const line = { at: new Date().toISOString(), id: delivery.key, ...notificationSchema.parse(notification) };
      await appendFile(file, `${JSON.stringify(line)}\n`);
    },
  };
}
