import { Context } from '@temporalio/activity';

/**
 * Heartbeats every few seconds for as long as `work` runs, so a slow step inside it (starting a
 * service, exporting sources) never outlasts the heartbeat timeout while the worker is alive.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const context = Context.current();
  const ticker = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}
