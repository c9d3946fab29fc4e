/**
 * One HTTP POST of a notification, mapped to a Temporal failure: nothing here retries. Temporal retries
 * what is transient (408, 429 honouring Retry-After, 5xx, timeouts, connection errors) and stops at once
 * on what is not (other 4xx, a redirect), with the status and the start of the receiver's answer.
 */
import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs } from '../llm/errors.js';
import { truncate } from './message.js';

export const NOTIFICATION_UNAVAILABLE = 'NotificationUnavailable';
export const NOTIFICATION_REJECTED = 'NotificationRejected';
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

export interface PostOptions {
  /** Names the target in errors (`slack`, `webhook`). */
  target: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function postNotification(options: PostOptions): Promise<void> {
  // Webhook URLs carry their secret in the path (Slack's do): errors name the host only.
  const where = new URL(options.url).host;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'prpilot-notifier/1', ...options.headers },
      body: options.body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) {
      throw unavailable(`${options.target}: no answer from ${where} within ${options.timeoutMs} ms`);
    }
    throw unavailable(`${options.target}: cannot reach ${where}: ${describe(error)}`);
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const excerpt = await bodyExcerpt(response);
  const message = `${options.target}: HTTP ${response.status} from ${where}${excerpt ? `: ${excerpt}` : ''}`;
  if (isRetryableStatus(response.status)) {
    const delay = retryAfterMs(response.headers);
    throw ApplicationFailure.create({ message, type: NOTIFICATION_UNAVAILABLE, nonRetryable: false, ...(delay !== null ? { nextRetryDelay: delay } : {}) });
  }
  const hint = response.status >= 300 && response.status < 400 ? ' (the URL redirects: configure the final URL)' : '';
  throw ApplicationFailure.create({ message: `${message}${hint}`, type: NOTIFICATION_REJECTED, nonRetryable: true });
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function unavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: NOTIFICATION_UNAVAILABLE, nonRetryable: false });
}

async function bodyExcerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return truncate(text.replace(/\s+/g, ' ').trim(), 200);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND) in the cause.
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return cause ? `${error.message} (${cause})` : error.message;
}
