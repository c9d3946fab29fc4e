/**
 * Who may approve or reject. Pure: the workflow applies it to every signal it receives.
 * - Nothing is approved unless an approval is pending (an early approval does not count later).
 * - A verdict sent for another head than the run's current one does not count.
 * - The first accepted verdict on a request decides it; later ones are ignored, not silently lost.
 * - The PR's author can never approve their own change; the author may withdraw it (reject).
 * - With an approvers list, only people on it count.
 */
export interface ApprovalRules {
  author: string;
  approvers: string[];
  awaitingApproval: boolean;
  stage: string;
  /** A verdict on the current request was already accepted: later approvals and rejections do not count. */
  decided?: string | null;
  /** The head the run is at, and the head the verdict was sent for (when the sender said). */
  currentHead?: string;
  forHead?: string;
}

export type Ruling = { accepted: true; why: string } | { accepted: false; why: string };

export function ruleOnApproval(kind: 'approve' | 'reject', by: string, rules: ApprovalRules): Ruling {
  if (rules.forHead && rules.currentHead && rules.forHead !== rules.currentHead) {
    return { accepted: false, why: `sent for head ${rules.forHead.slice(0, 12)}, but the run is now at head ${rules.currentHead.slice(0, 12)}: look at the new request` };
  }
  if (rules.decided) {
    return { accepted: false, why: `this request was already decided (${rules.decided})` };
  }
  if (!rules.awaitingApproval) {
    return { accepted: false, why: `no approval is pending (stage: ${rules.stage})` };
  }
  const isAuthor = mayBeSamePerson(by, rules.author);
  if (kind === 'approve' && isAuthor) {
    return { accepted: false, why: `${by} is the author of this PR and cannot approve it` };
  }
  const listed = rules.approvers.some((approver) => normalize(approver) === normalize(by));
  if (rules.approvers.length > 0 && !listed && !(kind === 'reject' && isAuthor)) {
    return { accepted: false, why: `${by} is not in the approvers list (${rules.approvers.join(', ')})` };
  }
  return { accepted: true, why: kind === 'approve' ? `approved by ${by}` : `rejected by ${by}` };
}

/** User names compare case-insensitively and without surrounding space, as GitHub logins do. */
function normalize(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * The author check errs towards "same person": an email also matches its local part
 * ("bob@example.com" is "bob"), so an author cannot approve under the other form of their name.
 */
function mayBeSamePerson(a: string, b: string): boolean {
  const forms = (name: string) => {
    const normal = normalize(name);
    return normal.includes('@') ? [normal, normal.slice(0, normal.indexOf('@'))] : [normal];
  };
  const left = forms(a);
  return forms(b).some((form) => left.includes(form));
}
