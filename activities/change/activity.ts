import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import type { RepoRef } from '../../workflows/input.js';
import type { RecordedFindings } from '../../workflows/policy/detectors/index.js';
import type { RiskAssessment } from '../review/agent.js';
import { analyzeChange, type ChangeStats } from './analyze.js';
import { diffRange, GitOutputTooLargeError, MAX_DIFF_BYTES, symlinkTargets } from './git.js';
import { githubDiff, githubSymlinkTargets } from '../github/source.js';
import type { LinkLookup } from './movedLinks.js';
import { checkDiffUsable, diffTooLargeReason } from './validateDiff.js';
import { DIFF_TOO_LARGE, UNUSABLE_DIFF } from '../../workflows/failureTypes.js';

export interface PreparedChange {
  diffSha256: string;
  stats: ChangeStats;
  /** As the workflow reads it back from history (older runs lack the newer lists). */
  findings: RecordedFindings;
  heuristic: RiskAssessment;
  /** Paths of files changed, capped, for the review agent's context and the audit. */
  paths: string[];
}

const MAX_PATHS = 200;

/** Computes the PR's diff, stores it (claim check) and runs the code's detectors on it. */
export function prepareChangeActivity(deps: ActivityDeps) {
  return async function prepareChange(input: { repo: RepoRef; baseSha: string; headSha: string }): Promise<PreparedChange> {
    const label = `the diff ${input.baseSha.slice(0, 12)}...${input.headSha.slice(0, 12)}`;
    const diff = input.repo.kind === 'github'
      ? await githubDiff(input.repo, input.baseSha, input.headSha, MAX_DIFF_BYTES)
      : await diffRange(input.repo.path, input.baseSha, input.headSha).catch((error: unknown) => {
        // Retrying cannot make the change smaller.
        if (error instanceof GitOutputTooLargeError) throw ApplicationFailure.nonRetryable(diffTooLargeReason(label, error.limit), DIFF_TOO_LARGE);
        throw error;
      });
    const usable = checkDiffUsable(diff, label);
    if (!usable.ok) throw ApplicationFailure.nonRetryable(usable.reason, UNUSABLE_DIFF);
    const { sha256 } = await deps.artifacts.put(diff);
    const { repo, headSha } = input;
    const lookUpLinks: LinkLookup = repo.kind === 'github'
      ? (paths) => githubSymlinkTargets(repo, headSha, paths)
      : (paths) => symlinkTargets(repo.path, headSha, paths);
    const analysis = await analyzeChange(usable.text, lookUpLinks);
    return {
      diffSha256: sha256,
      stats: analysis.stats,
      // detectChange caps evidence per kind, so findings stay small enough for history.
      findings: analysis.findings,
      heuristic: analysis.heuristic,
      paths: analysis.files.slice(0, MAX_PATHS).map((file) => file.path),
    };
  };
}
