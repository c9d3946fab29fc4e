import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ActivityDeps } from '../deps.js';
import { activityScope, notificationKey } from './key.js';
import { notificationSchema, type DeliveryLedger, type DeliveryState, type Notification } from './notifier.js';

export function notifyActivity(deps: Pick<ActivityDeps, 'notifier'>) {
  return async function notify(notification: Notification): Promise<void> {
    const context = Context.current();
    const parsed = notificationSchema.parse(notification);
    const key = notificationKey(parsed, activityScope(context.info));
    await deps.notifier.notify(parsed, { key, ledger: heartbeatLedger(context, key), signal: context.cancellationSignal });
  };
}

const checkpointSchema = z.object({
  notification: z.object({
    key: z.string(),
    delivered: z.array(z.string()),
    rejected: z.record(z.string(), z.string()),
  }),
});

/**
 * Keeps which targets took the notification in the activity's heartbeat details: Temporal hands the
 * last ones to the next attempt, so a retry after Slack failed does not post to the webhook again.
 */
export function heartbeatLedger(context: Context, key: string): DeliveryLedger {
  return {
    load(): DeliveryState {
      const previous = checkpointSchema.safeParse(context.info.heartbeatDetails);
      if (!previous.success || previous.data.notification.key !== key) return { delivered: [], rejected: {} };
      return { delivered: previous.data.notification.delivered, rejected: previous.data.notification.rejected };
    },
    save(state) {
      context.heartbeat({ notification: { key, ...state } });
    },
  };
}
