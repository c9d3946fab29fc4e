import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const notificationSchema = z.object({
  event: z.enum(['approval_requested', 'approval_reminder', 'deployed', 'rolled_back', 'incident_report', 'rejected', 'expired', 'failed']),
  workflowId: z.string(),
  title: z.string(),
  text: z.string(),
  /** Artifacts (e.g. the incident report) the receiver can fetch from the store. */
  artifactSha256: z.string().optional(),
});
export type Notification = z.infer<typeof notificationSchema>;

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** Appends one JSON line per notification to a team log file (the channel the demo and tests read). */
export function createFileNotifier(file: string): Notifier {
  return {
    async notify(notification) {
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify({ at: new Date().toISOString(), ...notificationSchema.parse(notification) })}\n`);
    },
  };
}
