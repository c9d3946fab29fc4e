import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ActivityDeps } from '../deps.js';
import { withHeartbeat, type HeartbeatOptions } from '../heartbeat.js';
import { activityScope, notificationKey } from './key.js';
import { notificationSchema, type DeliveryLedger, type DeliveryState, type Notification } from './notifier.js';

/**
 * Heartbeats while the targets are tried (a worker that dies mid-delivery is replaced at the heartbeat
 * timeout), every beat carrying the delivery ledger.
 */
export function notifyActivity(deps: Pick<ActivityDeps, 'notifier'>, heartbeat: Pick<HeartbeatOptions, 'everyMs'> = {}) {
  return async function notify(notification: Notification): Promise<void> {
    const context = Context.current();
    const parsed = notificationSchema.parse(notification);
    const key = notificationKey(parsed, activityScope(context.info));
    const ledger = heartbeatLedger(context, key);
    await withHeartbeat(
      () => deps.notifier.notify(parsed, { key, ledger, signal: context.cancellationSignal }),
      { ...heartbeat, details: () => ledger.checkpoint() },
    );
  };
}

const checkpointSchema = z.object({
  notification: z.object({
    key: z.string(),
    delivered: z.array(z.string()),
    rejected: z.record(z.string(), z.string()),
  }),
});
type Checkpoint = z.infer<typeof checkpointSchema>;

/**
 * Keeps which targets took the notification in the activity's heartbeat details: Temporal hands the
 * last ones to the next attempt, so a retry after Slack failed does not post to the webhook again.
 */
export function heartbeatLedger(context: Context, key: string): DeliveryLedger & { checkpoint(): Checkpoint } {
  const previous = checkpointSchema.safeParse(context.info.heartbeatDetails);
  let latest: DeliveryState = previous.success && previous.data.notification.key === key
    ? { delivered: previous.data.notification.delivered, rejected: previous.data.notification.rejected }
    : { delivered: [], rejected: {} };
  const checkpoint = (): Checkpoint => ({ notification: { key, ...latest } });
  return {
    load: () => latest,
    save(state) {
      latest = state;
      context.heartbeat(checkpoint());
    },
    checkpoint,
  };
}
