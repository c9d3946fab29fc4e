import type { ActivityDeps } from '../deps.js';
import { draftFrom } from '../agent.js';
import { analyzeDiff } from '../change/analyze.js';
import { redactTokens } from '../../workflows/policy/detectors/secret.js';
import type { DecisionDraft } from '../../workflows/records.js';
import { reviewOutputSchema, type ReviewOutput } from './schema.js';

export interface ReviewResult {
  review: ReviewOutput;
  decision: DecisionDraft;
}

/** The review agent on the stored diff. The code's findings were computed before and are not its to change. */
export function reviewChangeActivity(deps: ActivityDeps) {
  return async function reviewChange(input: { diffSha256: string; title: string; description: string }): Promise<ReviewResult> {
    const diff = await deps.artifacts.getText(input.diffSha256);
    const analysis = analyzeDiff(diff);
    const run = await deps.agents.review.review({
      diff,
      files: analysis.files,
      title: input.title,
      description: input.description,
      findings: analysis.findings,
      heuristic: analysis.heuristic,
    });
    // A model may quote the diff; credential-shaped text must not reach history through its words.
    const review = reviewOutputSchema.parse(redactStrings(run.output));
    return {
      review,
      decision: draftFrom(run, {
        stage: 'review',
        decision: `risk ${review.riskScore}/10, confidence ${review.confidence}`,
        rationale: review.rationale,
        input: { diffSha256: input.diffSha256, title: input.title, description: input.description },
        gates: review.suggestedGates,
        details: {
          diffSha256: input.diffSha256,
          securityIssues: review.securityIssues.length,
          performanceConcerns: review.performanceConcerns.length,
          coverageGaps: review.coverageGaps.length,
          apiBreakingChanges: review.apiBreakingChanges.length,
        },
      }),
    };
  };
}

function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redactTokens(value) as T;
  if (Array.isArray(value)) return value.map(redactStrings) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactStrings(inner)])) as T;
  }
  return value;
}
