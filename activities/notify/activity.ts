import type { ActivityDeps } from '../deps.js';
import type { Notification } from './notifier.js';

export function notifyActivity(deps: ActivityDeps) {
  return async function notify(notification: Notification): Promise<void> {
    await deps.notifier.notify(notification);
  };
}
