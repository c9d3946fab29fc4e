/**
 * Changes to the workflow that alter its history, each behind a patch id. A run records the newest
 * patch once, at its very start, and every later decision between old and new code reads that answer:
 * a patched() call made later, right after a local activity, can land in a different workflow task on
 * replay than it did live (a query arriving meanwhile splits the task) and then misreport the patch.
 */
import { patched } from '@temporalio/workflow';

/** Risk floor: the code's heuristic goes to the gates and the model cannot lower it. */
export const RISK_FLOOR_PATCH = 'risk-floor-is-the-code-heuristic';
/** Canary v2: deploy lock, ramp steps watched by an activity, the statistical judge. Implies the risk floor. */
export const CANARY_V2_PATCH = 'canary-ramp-lock-and-statistical-judge';
/** A cancelled canary (a revision pushed mid-canary, or the run cancelled) is rolled back before it is stopped. */
export const CANARY_ROLLBACK_ON_CANCEL_PATCH = 'canary-rolled-back-when-cancelled';

export interface RunVersion {
  /** Started with canary v2 (and everything before it); false: a run from before, replaying its own code. */
  readonly canaryV2: boolean;
  /** A cancelled canary is rolled back (and the rollback recorded); false: it was only stopped. */
  readonly rollbackOnCancel: boolean;
  /** Runs from before canary v2 ask for the risk floor where they always did. */
  riskFloor(): boolean;
}

/** Call once, first thing in the workflow. */
export function runVersion(): RunVersion {
  const canaryV2 = patched(CANARY_V2_PATCH);
  const rollbackOnCancel = patched(CANARY_ROLLBACK_ON_CANCEL_PATCH);
  return { canaryV2, rollbackOnCancel, riskFloor: () => canaryV2 || patched(RISK_FLOOR_PATCH) };
}
