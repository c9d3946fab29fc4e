import { ApplicationFailure } from '@temporalio/activity';
import { GitHubError, type GitHubErrorKind } from '../../github/errors.js';
import { DIFF_TOO_LARGE } from '../../workflows/failureTypes.js';

/** ApplicationFailure types for GitHub trouble, one per kind; only rate limits and outages are retried. */
export const GITHUB_FAILURE_TYPES: Record<GitHubErrorKind | 'not_configured', string> = {
  unauthorized: 'GitHubUnauthorized',
  forbidden: 'GitHubForbidden',
  not_found: 'GitHubNotFound',
  rate_limited: 'GitHubRateLimited',
  unavailable: 'GitHubUnavailable',
  rejected: 'GitHubRejected',
  too_large: DIFF_TOO_LARGE,
  invalid_response: 'GitHubInvalidResponse',
  not_configured: 'GitHubNotConfigured',
};

/**
 * Maps what went wrong to a Temporal failure: a rate limit is retried no sooner than GitHub's reset
 * time; a bad token, missing access or a wrong name stop at once with the message to act on.
 */
export function githubFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof GitHubError) {
    return ApplicationFailure.create({
      message: error.message,
      type: GITHUB_FAILURE_TYPES[error.kind],
      nonRetryable: !error.retryable,
      ...(error.retryAfterMs !== null ? { nextRetryDelay: error.retryAfterMs } : {}),
    });
  }
  return ApplicationFailure.create({ message: error instanceof Error ? error.message : String(error), type: GITHUB_FAILURE_TYPES.unavailable, nonRetryable: false });
}

export function notConfigured(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${what} needs GitHub, but this worker has no GITHUB_TOKEN: set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise) in the worker's environment`,
    type: GITHUB_FAILURE_TYPES.not_configured,
    nonRetryable: true,
  });
}
