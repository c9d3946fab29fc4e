import type { Client } from '@temporalio/client';

/** What the lock activities need: a Temporal client, and the task queue the lock workflows run on. */
export interface LockTemporal {
  client: Client;
  taskQueue: string;
}
