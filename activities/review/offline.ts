import { offlineIdentity } from '../agent.js';
import type { ReviewAgent, ReviewInput } from './agent.js';
import { reviewOutputSchema, type ReviewOutput } from './schema.js';
import { NO_TOKENS } from '../../workflows/records.js';
import { isTestPath, isSourcePath } from './fileKinds.js';

const VERSION = 'offline-review/1.0.0';
/** A diff this large cannot be judged by heuristics with confidence: a human should look. */
const LOW_CONFIDENCE_CHANGED_LINES = 5_000;

/**
 * Deterministic review from the diff itself: the risk heuristic's score, the detectors' findings as
 * issues, and source files changed without any test change as coverage gaps.
 */
export function createOfflineReviewAgent(): ReviewAgent {
  const identity = offlineIdentity('review', VERSION, { LOW_CONFIDENCE_CHANGED_LINES });
  return {
    async review(input: ReviewInput) {
      const output: ReviewOutput = reviewOutputSchema.parse({
        riskScore: input.heuristic.score,
        securityIssues: input.findings.secret.map((evidence) => ({
          file: evidence.file,
          line: evidence.line,
          severity: 'high',
          description: `secret-like content (${evidence.rule}): ${evidence.excerpt}`,
        })),
        performanceConcerns: [],
        coverageGaps: coverageGaps(input),
        apiBreakingChanges: input.findings.apiBreaking.map((evidence) => ({
          file: evidence.file,
          line: evidence.line,
          description: `${evidence.rule}: ${evidence.excerpt}`,
        })),
        rationale: rationale(input),
        confidence: changedLines(input) > LOW_CONFIDENCE_CHANGED_LINES ? 'low' : 'high',
        suggestedGates: [],
      });
      return { output, identity, tokens: { ...NO_TOKENS } };
    },
  };
}

function changedLines(input: ReviewInput): number {
  return input.files.reduce((sum, file) => sum + file.added.length + file.removed.length, 0);
}

function coverageGaps(input: ReviewInput): ReviewOutput['coverageGaps'] {
  const touchesTests = input.files.some((file) => isTestPath(file.path));
  if (touchesTests) return [];
  return input.files
    .filter((file) => !file.binary && file.status !== 'deleted' && isSourcePath(file.path) && file.added.length > 0)
    .map((file) => ({ file: file.path, description: `${file.added.length} added line(s) with no test change in this PR` }));
}

function rationale(input: ReviewInput): string {
  const factors = input.heuristic.factors.filter((factor) => factor.points !== 0);
  const lines = factors.map((factor) => `${factor.name} (${factor.points > 0 ? '+' : ''}${factor.points}): ${factor.why}`);
  const summary = `Offline heuristic review of ${input.files.length} file(s), ${changedLines(input)} changed line(s): risk ${input.heuristic.score}/10.`;
  return [summary, ...lines].join('\n');
}
