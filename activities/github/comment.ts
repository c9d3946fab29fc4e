/**
 * The PR comments prpilot writes: one per (workflow, kind), found again by a hidden marker and edited
 * in place, so a retried activity or a restarted run never posts a second one. Text from the diff or a
 * model (reasons, rationale) is untrusted: it is quoted, with @-mentions and HTML comments defused.
 */
import { z } from 'zod';
import type { GitHubClient } from '../../github/client.js';
import type { GitHubRepoName } from '../../github/repo.js';

export const prCommentSchema = z.discriminatedUnion('kind', [
  z.object({
    /** After the gate decision: the review summary, and the commands when a human must decide. */
    kind: z.literal('review'),
    riskScore: z.number().int(),
    gates: z.array(z.string()),
    reasons: z.array(z.string()),
    rationale: z.string(),
    /** Empty: anyone but the author may approve. */
    approvers: z.array(z.string()).default([]),
    author: z.string().optional(),
    expiresAt: z.string().optional(),
  }),
  z.object({
    /** When the run ends. */
    kind: z.literal('outcome'),
    outcome: z.string(),
    reason: z.string(),
  }),
]);
export type PrComment = z.infer<typeof prCommentSchema>;

const MAX_REASONS = 20;
const MAX_REASON_CHARS = 500;
const MAX_RATIONALE_CHARS = 4_000;

export function commentMarker(workflowId: string, kind: PrComment['kind']): string {
  return `<!-- prpilot:${workflowId}:${kind} -->`;
}

export function renderComment(input: { workflowId: string; sha: string; targetUrl?: string; comment: PrComment }): string {
  const { workflowId, sha, comment } = input;
  const lines = [commentMarker(workflowId, comment.kind)];
  const link = input.targetUrl ? ` · [workflow](${input.targetUrl})` : '';
  if (comment.kind === 'review') {
    const escalated = comment.gates.length > 0;
    lines.push(`### prpilot review of \`${sha.slice(0, 12)}\``, '');
    lines.push(escalated
      ? `**Risk ${comment.riskScore}/10** · **human approval required**: ${comment.gates.map((gate) => `\`${gate}\``).join(', ')}`
      : `**Risk ${comment.riskScore}/10** · no gate fired: going on to the canary deployment`);
    if (comment.rationale.trim()) lines.push('', quote(clip(comment.rationale, MAX_RATIONALE_CHARS)));
    if (escalated) {
      const reasons = comment.reasons.slice(0, MAX_REASONS).map((reason) => `- ${defuse(clip(reason, MAX_REASON_CHARS).replace(/\s+/g, ' '))}`);
      if (comment.reasons.length > MAX_REASONS) reasons.push(`- … and ${comment.reasons.length - MAX_REASONS} more (see the audit)`);
      lines.push('', '**Why a human is asked**', ...reasons);
      const who = comment.approvers.length
        ? `one of ${comment.approvers.map((login) => `\`${login}\``).join(', ')}`
        : 'anyone';
      lines.push('', `**To decide** (${who}${comment.author ? `, not the author \`${comment.author}\`` : ''}):`, '', '```sh',
        `prpilot approve ${workflowId} --by <you>`,
        `prpilot reject ${workflowId} --by <you> --reason "<why>"`, '```');
      if (comment.expiresAt) lines.push(`Without an answer by ${comment.expiresAt} the run ends \`expired\`.`);
    }
    lines.push('', `Audit: \`prpilot audit ${workflowId} --format md\`${link}`);
  } else {
    lines.push(`### prpilot: ${comment.outcome.replace(/_/g, ' ')} (\`${sha.slice(0, 12)}\`)`, '');
    lines.push(quote(clip(comment.reason, MAX_RATIONALE_CHARS)), '', `Audit: \`prpilot audit ${workflowId} --format md\`${link}`);
  }
  return lines.join('\n');
}

/**
 * Creates the comment, or edits the one already carrying its marker. Only comments written by the
 * token's own user count (when GitHub says who that is), so nobody can plant a marker to hijack it.
 */
export async function upsertComment(
  client: GitHubClient, repo: GitHubRepoName, prNumber: number, marker: string, body: string,
): Promise<{ id: number; action: 'created' | 'updated' | 'unchanged' }> {
  const [comments, me] = await Promise.all([client.listIssueComments(repo, prNumber), client.authenticatedLogin()]);
  const existing = comments.find((comment) => (comment.body ?? '').startsWith(marker) && (me === null || comment.user?.login === me));
  if (!existing) return { id: (await client.createIssueComment(repo, prNumber, body)).id, action: 'created' };
  if (existing.body === body) return { id: existing.id, action: 'unchanged' };
  return { id: (await client.updateIssueComment(repo, existing.id, body)).id, action: 'updated' };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keeps untrusted text from pinging people or hiding markup in the comment. */
function defuse(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200b').replace(/<!--/g, '&lt;!--').replace(/-->/g, '--&gt;');
}

function quote(text: string): string {
  return defuse(text).split('\n').map((line) => `> ${line}`).join('\n');
}
