/**
 * Sends one notification to every target at once. One target failing does not keep the others from
 * getting it, yet the call still fails so Temporal retries; with a ledger (the notify activity keeps
 * it in its heartbeat details, which survive into the next attempt) a retry skips the targets that
 * already took the notification, so Slack and the log do not show it twice.
 */
import { ApplicationFailure } from '@temporalio/common';
import { NOTIFICATION_REJECTED, NOTIFICATION_UNAVAILABLE } from './http.js';
import { notificationKey } from './key.js';
import type { DeliveryState, NotificationTarget, Notifier } from './notifier.js';

export interface FanoutNotifier extends Notifier {
  /** The targets' names, in order (for the worker's start-up line). */
  readonly targets: string[];
}

interface TargetFailure {
  target: string;
  message: string;
  nonRetryable: boolean;
  nextRetryDelayMs: number | null;
}

export function createFanoutNotifier(targets: NotificationTarget[]): FanoutNotifier {
  return {
    targets: targets.map((target) => target.name),
    async notify(notification, options = {}) {
      const key = options.key ?? notificationKey(notification);
      const loaded = options.ledger?.load();
      const state: DeliveryState = { delivered: [...(loaded?.delivered ?? [])], rejected: { ...loaded?.rejected } };
      const save = () => options.ledger?.save({ delivered: [...state.delivered], rejected: { ...state.rejected } });
      const pending = targets.filter((target) => !state.delivered.includes(target.name) && !(target.name in state.rejected));
      const retryable: TargetFailure[] = [];
      await Promise.all(pending.map(async (target) => {
        try {
          await target.deliver(notification, { key, ...(options.signal ? { signal: options.signal } : {}) });
          state.delivered.push(target.name);
          save();
        } catch (error) {
          if (options.signal?.aborted) throw error;
          const failure = asFailure(target.name, error);
          if (failure.nonRetryable) {
            state.rejected[target.name] = failure.message;
            save();
          } else {
            retryable.push(failure);
          }
        }
      }));
      const rejected = Object.values(state.rejected);
      if (retryable.length === 0 && rejected.length === 0) return;
      const delivered = state.delivered.length > 0 ? `; delivered to ${state.delivered.join(', ')}` : '';
      const problems = [...retryable.map((failure) => failure.message), ...rejected].join('; ');
      const delays = retryable.map((failure) => failure.nextRetryDelayMs).filter((delay): delay is number => delay !== null);
      throw ApplicationFailure.create({
        message: `notification ${notification.event} for ${notification.workflowId} not delivered: ${problems}${delivered}`,
        type: retryable.length > 0 ? NOTIFICATION_UNAVAILABLE : NOTIFICATION_REJECTED,
        // Retried while some target may still take it; a target that refused for good is not tried again.
        nonRetryable: retryable.length === 0,
        ...(delays.length > 0 ? { nextRetryDelay: Math.max(...delays) } : {}),
      });
    },
  };
}

function asFailure(target: string, error: unknown): TargetFailure {
  if (error instanceof ApplicationFailure) {
    return {
      target,
      message: error.message,
      nonRetryable: error.nonRetryable === true,
      nextRetryDelayMs: typeof error.nextRetryDelay === 'number' ? error.nextRetryDelay : null,
    };
  }
  // A local fault (the log's disk full, a bug): worth another attempt.
  return { target, message: `${target}: ${error instanceof Error ? error.message : String(error)}`, nonRetryable: false, nextRetryDelayMs: null };
}
