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
/**
 * Canary v3, a lighter history: a watch's verdicts go to the artifact store and one record seals their
 * hash and counts (history no longer grows with the canary's length); the deploy lock's release is
 * delivered while the run finishes instead of before its last record.
 */
export const CANARY_V3_PATCH = 'canary-verdict-log-claim-checked-and-release-overlapped';
/**
 * The deployment is stopped (then the lock released) while the run seals its outcome and tells the team,
 * not before; a stop that fails after every retry is sealed as its own record and no longer turns the
 * run's outcome (a promoted canary) into a failure.
 */
export const TEARDOWN_OVERLAP_PATCH = 'deployment-teardown-overlaps-the-run-end';

export interface RunVersion {
  /** Started with canary v2 (and everything before it); false: a run from before, replaying its own code. */
  readonly canaryV2: boolean;
  /** A cancelled canary is rolled back (and the rollback recorded); false: it was only stopped. */
  readonly rollbackOnCancel: boolean;
  /** Started with canary v3; false: a record per verdict, and the run waits for the lock's release. */
  readonly canaryV3: boolean;
  /** Started with the overlapped teardown; false: the canary waits for its deployment to stop. */
  readonly teardownOverlapped: boolean;
  /** Runs from before canary v2 ask for the risk floor where they always did. */
  riskFloor(): boolean;
}

/** Call once, first thing in the workflow. */
export function runVersion(): RunVersion {
  const canaryV2 = patched(CANARY_V2_PATCH);
  const rollbackOnCancel = patched(CANARY_ROLLBACK_ON_CANCEL_PATCH);
  const canaryV3 = patched(CANARY_V3_PATCH);
  const teardownOverlapped = patched(TEARDOWN_OVERLAP_PATCH);
  return { canaryV2, rollbackOnCancel, canaryV3, teardownOverlapped, riskFloor: () => canaryV2 || patched(RISK_FLOOR_PATCH) };
}
