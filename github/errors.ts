/**
 * What went wrong talking to GitHub, sorted by what the caller should do about it: fix the token or
 * the access (never retried), fix the name, or wait (rate limit, outage: retried by Temporal).
 */
export type GitHubErrorKind = 'unauthorized' | 'forbidden' | 'not_found' | 'rate_limited' | 'unavailable' | 'rejected' | 'too_large' | 'invalid_response';

const RETRYABLE: ReadonlySet<GitHubErrorKind> = new Set(['rate_limited', 'unavailable']);
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export class GitHubError extends Error {
  constructor(
    message: string,
    readonly kind: GitHubErrorKind,
    readonly status: number | null,
    /** When a retry may succeed (rate limits), in ms from now; null when GitHub did not say. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'GitHubError';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** The error for a non-2xx answer to `what` (e.g. "reading PR #42 of acme/shop"), from its status and headers. */
export function errorFromResponse(status: number, headers: Headers, bodyMessage: string, what: string, now = Date.now()): GitHubError {
  const detail = bodyMessage ? `: ${bodyMessage}` : '';
  const rateLimit = rateLimitWait(status, headers, now);
  if (rateLimit) {
    return new GitHubError(
      `GitHub rate limit hit while ${what} (${status}${detail}); it resets at ${new Date(now + rateLimit.waitMs).toISOString()}`,
      'rate_limited', status, rateLimit.waitMs,
    );
  }
  switch (status) {
    case 401:
      return new GitHubError(`GitHub rejected GITHUB_TOKEN while ${what} (401${detail}): the token is wrong, expired or revoked`, 'unauthorized', status);
    case 403:
      return new GitHubError(`GITHUB_TOKEN has no access for ${what} (403${detail}): give the token access to the repository (contents, pull requests, commit statuses)`, 'forbidden', status);
    case 404:
      return new GitHubError(`GitHub found nothing while ${what} (404${detail}): check the repository and PR number, and that GITHUB_TOKEN can see the repository`, 'not_found', status);
    case 408: case 500: case 502: case 503: case 504:
      return new GitHubError(`GitHub is unavailable while ${what} (${status}${detail})`, 'unavailable', status);
    default:
      return new GitHubError(`GitHub refused ${what} (${status}${detail})`, 'rejected', status);
  }
}

/**
 * Primary rate limit: 403/429 with `x-ratelimit-remaining: 0`, waiting until `x-ratelimit-reset` (epoch
 * seconds). Secondary rate limit: 403/429 with `retry-after` (seconds). A bare 429 waits a minute.
 */
function rateLimitWait(status: number, headers: Headers, now: number): { waitMs: number } | null {
  if (status !== 403 && status !== 429) return null;
  if (headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(headers.get('x-ratelimit-reset'));
    return { waitMs: Number.isFinite(reset) && reset > 0 ? Math.max(1_000, reset * 1000 - now) : DEFAULT_RATE_LIMIT_WAIT_MS };
  }
  const retryAfter = Number(headers.get('retry-after'));
  if (headers.has('retry-after') && Number.isFinite(retryAfter)) return { waitMs: Math.max(1_000, retryAfter * 1000) };
  return status === 429 ? { waitMs: DEFAULT_RATE_LIMIT_WAIT_MS } : null;
}

/** A request that never got an answer (connection refused, reset, timed out). */
export function errorFromNetwork(error: unknown, what: string, apiUrl: string): GitHubError {
  const cause = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
  return new GitHubError(`cannot reach GitHub at ${apiUrl} while ${what}: ${cause}`, 'unavailable', null);
}
