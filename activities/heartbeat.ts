import { Context } from '@temporalio/activity';

export interface HeartbeatOptions {
  everyMs?: number;
  /**
   * What each beat carries. A heartbeat replaces the details of the one before, so an activity that
   * checkpoints in its details must have the ticker send the latest checkpoint, not nothing.
   */
  details?: () => unknown;
}

/**
 * Heartbeats every few seconds for as long as `work` runs, so a slow step inside it (starting a
 * service, exporting sources) never outlasts the heartbeat timeout while the worker is alive.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, { everyMs = 5_000, details }: HeartbeatOptions = {}): Promise<T> {
  const context = Context.current();
  const ticker = setInterval(() => context.heartbeat(details?.()), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The same activity, heartbeating for as long as it runs: for activities that wait minutes on a model,
 * so a worker that dies mid-call is noticed at the heartbeat timeout rather than the time limit.
 */
export function heartbeating<Args extends unknown[], Result>(activity: (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  return (...args) => withHeartbeat(() => activity(...args));
}
