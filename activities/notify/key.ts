import { createHash } from 'node:crypto';
import { asyncLocalStorage, type Info } from '@temporalio/activity';
import type { Notification } from './notifier.js';

/** The activity execution a notification is sent from: the same on every retry of that activity. */
export interface ActivityScope {
  runId: string;
  activityId: string;
}

/**
 * The notification's idempotency key (webhook `Idempotency-Key`, the `id` in bodies and the log).
 * Inside an activity it comes from the run and the activity id, which the workflow assigns
 * deterministically: each notify call (two reminders are two calls) gets its own key, and every retry
 * of one call carries the same key. Outside an activity it is a hash of the content.
 */
export function notificationKey(notification: Notification, scope: ActivityScope | null = currentActivityScope()): string {
  const parts = scope
    ? [notification.workflowId, scope.runId, scope.activityId, notification.event]
    : [notification.workflowId, notification.event, notification.title, notification.text, notification.artifactSha256 ?? ''];
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

export function activityScope(info: Info): ActivityScope {
  // A standalone activity (no workflow) has no run: its activity id alone is unique.
  return { runId: info.workflowExecution?.runId ?? '', activityId: info.activityId };
}

function currentActivityScope(): ActivityScope | null {
  const context = asyncLocalStorage.getStore();
  return context ? activityScope(context.info) : null;
}
