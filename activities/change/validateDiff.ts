import { parseUnifiedDiff } from '../../workflows/policy/diff.js';

export type DiffCheck = { ok: true; text: string } | { ok: false; reason: string };

/** Why a diff over the size limit is refused, and what to do about it. */
export function diffTooLargeReason(label: string, limit: number): string {
  return `${label} is over the ${limit}-byte limit: split the change into smaller ones, or keep generated data out of the repository`;
}

/** Rejects what no agent can review: an empty change, binary files only, or bytes that are not UTF-8. */
export function checkDiffUsable(diff: Buffer, label: string): DiffCheck {
  if (diff.length === 0 || diff.toString('utf8').trim() === '') {
    return { ok: false, reason: `${label} is empty: there is no change to review` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(diff);
  } catch {
    return { ok: false, reason: `${label} is not valid UTF-8: re-encode the changed files as UTF-8 or mark them binary` };
  }
  const files = parseUnifiedDiff(text);
  if (files.length === 0) return { ok: false, reason: `${label} contains no file changes (is it a unified diff?)` };
  if (files.every((file) => file.binary)) {
    return { ok: false, reason: `${label} changes binary files only (${files.length}): nothing an agent can review` };
  }
  return { ok: true, text };
}
