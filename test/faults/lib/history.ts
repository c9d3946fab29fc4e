/**
 * What a run's history says about its activities: each scheduled activity of a type, the attempt that
 * finally ran, the failure of the attempt before it (Temporal keeps retried attempts' last failure on
 * the started event), and how it ended.
 */
import type { WorkflowHandle } from '@temporalio/client';

export interface ActivityRun {
  type: string;
  scheduledEventId: number;
  attempt: number | null;
  lastFailure: string | null;
  ended: 'completed' | 'failed' | 'timed_out' | 'canceled' | 'open';
}

export async function activityRuns(handle: WorkflowHandle, type?: string): Promise<ActivityRun[]> {
  const history = await handle.fetchHistory();
  const runs = new Map<number, ActivityRun>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId ?? 0);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      runs.set(id, { type: scheduled.activityType?.name ?? '', scheduledEventId: id, attempt: null, lastFailure: null, ended: 'open' });
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    const run = (scheduledId: unknown) => runs.get(Number(scheduledId ?? 0));
    if (started) {
      const found = run(started.scheduledEventId);
      if (found) Object.assign(found, { attempt: started.attempt ?? null, lastFailure: started.lastFailure?.message ?? null });
    }
    const endings: [unknown, ActivityRun['ended']][] = [
      [event.activityTaskCompletedEventAttributes?.scheduledEventId, 'completed'],
      [event.activityTaskFailedEventAttributes?.scheduledEventId, 'failed'],
      [event.activityTaskTimedOutEventAttributes?.scheduledEventId, 'timed_out'],
      [event.activityTaskCanceledEventAttributes?.scheduledEventId, 'canceled'],
    ];
    for (const [scheduledId, ended] of endings) {
      const found = scheduledId === undefined || scheduledId === null ? undefined : run(scheduledId);
      if (found) found.ended = ended;
    }
  }
  return [...runs.values()].filter((entry) => type === undefined || entry.type === type);
}
