import { ApplicationFailure } from '@temporalio/activity';
import Anthropic from '@anthropic-ai/sdk';
import { AGENT_OUTPUT_INVALID } from '../../workflows/failureTypes.js';

/** Failure types the workflow tells apart: invalid output escalates as `agent_uncertain`. */
export const MODEL_OUTPUT_INVALID = AGENT_OUTPUT_INVALID;
export const MODEL_UNAVAILABLE = 'ModelUnavailable';
export const MODEL_REQUEST_REJECTED = 'ModelRequestRejected';

const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

/**
 * Maps an Anthropic SDK error to a Temporal failure. The SDK's own retries are off: Temporal retries
 * what is transient (429 honouring retry-after, 5xx, 529 overloaded, timeouts, connection errors) and
 * stops at once, with a message a person can act on, on what is not (400/401/403/404/413/422).
 */
export function modelFailure(error: unknown, model: string): ApplicationFailure {
  if (error instanceof Anthropic.APIConnectionTimeoutError || error instanceof Anthropic.APIConnectionError) {
    return ApplicationFailure.create({ message: `model call failed: ${error.message}`, type: MODEL_UNAVAILABLE, nonRetryable: false, cause: error });
  }
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
    const status = error.status;
    if (RETRYABLE_STATUS.has(status)) {
      const delay = retryAfterMs(error.headers);
      return ApplicationFailure.create({
        message: `model call failed with ${status}${status === 529 ? ' (overloaded)' : status === 429 ? ' (rate limited)' : ''}: ${error.message}`,
        type: MODEL_UNAVAILABLE,
        nonRetryable: false,
        ...(delay !== null ? { nextRetryDelay: delay } : {}),
      });
    }
    return ApplicationFailure.create({ message: rejectedMessage(status, error.message, model), type: MODEL_REQUEST_REJECTED, nonRetryable: true });
  }
  return ApplicationFailure.create({ message: `model call failed: ${error instanceof Error ? error.message : String(error)}`, type: MODEL_UNAVAILABLE, nonRetryable: false });
}

function rejectedMessage(status: number, message: string, model: string): string {
  switch (status) {
    case 401: return `the Anthropic API rejected the API key (401): check ANTHROPIC_API_KEY (${message})`;
    case 403: return `the API key may not use this model or endpoint (403): ${message}`;
    case 404: return `model ${JSON.stringify(model)} or the endpoint was not found (404): check PRPILOT_MODEL and ANTHROPIC_BASE_URL (${message})`;
    case 413: return `the request is too large for the model (413): ${message}`;
    default: return `the Anthropic API rejected the request (${status}): ${message}`;
  }
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date), in ms, or null. */
export function retryAfterMs(headers: Headers | undefined): number | null {
  if (!headers) return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
