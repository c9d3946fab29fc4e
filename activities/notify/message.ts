/** What a notification says, whatever the channel: labels per event and the commands a human needs. */
import type { NotificationEvent } from './notifier.js';

export const EVENT_LABELS: Record<NotificationEvent, string> = {
  approval_requested: 'Approval needed',
  approval_reminder: 'Reminder: approval pending',
  deployed: 'Deployed',
  rolled_back: 'Canary rolled back',
  incident_report: 'Incident report',
  rejected: 'Rejected',
  expired: 'Approval expired',
  failed: 'Pipeline failed',
};

/** Events that ask a human to act. */
export function isEscalation(event: NotificationEvent): boolean {
  return event === 'approval_requested' || event === 'approval_reminder';
}

export interface EscalationCommands {
  approve: string;
  reject: string;
  status: string;
}

/** The exact commands to answer an approval request, ready to paste (after filling in `<you>`). */
export function escalationCommands(workflowId: string): EscalationCommands {
  const id = shellWord(workflowId);
  return {
    approve: `prpilot approve ${id} --by <you>`,
    reject: `prpilot reject ${id} --by <you> --reason "<why>"`,
    status: `prpilot status ${id}`,
  };
}

/** Workflow ids are usually plain words; anything else is single-quoted so a pasted command stays one argument. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._:@/-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
