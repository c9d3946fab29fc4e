/**
 * The HTTP side of `prpilot webhook`: checks each delivery (method, content type, size, signature,
 * replay) before trusting a byte of it, then hands pull request events to a starter. What starts or
 * signals workflows is injected, so tests drive this handler with a fake starter.
 *
 *   pull_request opened/reopened  → starter.startPullRequest   202
 *   pull_request synchronize      → starter.pushRevision       202
 *   other pull_request actions    → ignored                    202
 *   ping → 200; any other event → 400; a delivery id seen before → 200 {"duplicate":true}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pullRequestInfo, type PullRequestInfo } from '../../github/pullRequest.js';
import { repoSlug } from '../../github/repo.js';
import { discardRest, MAX_BODY_BYTES, readBody } from './body.js';
import { DeliveryLog } from './deliveries.js';
import { PUSH_ACTION, pullRequestEventSchema, START_ACTIONS } from './events.js';
import { verifySignature } from './signature.js';

export interface StartResult {
  workflowId: string;
  /** What happened to the PR's workflow: `started` also covers finding it already running. */
  action: 'started' | 'revision_pushed';
  runId?: string;
}

export interface WebhookStarter {
  startPullRequest(pr: PullRequestInfo): Promise<StartResult>;
  pushRevision(pr: PullRequestInfo): Promise<StartResult>;
}

/** A delivery the starter could not act on, with the HTTP status GitHub should see (503: redeliver). */
export class DeliveryError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface WebhookHandlerOptions {
  secret: string;
  starter: WebhookStarter;
  log: (line: string) => void;
  maxBodyBytes?: number;
  deliveries?: DeliveryLog;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** What the log line says about this delivery. */
  summary: string;
}

export function createWebhookHandler(options: WebhookHandlerOptions) {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const deliveries = options.deliveries ?? new DeliveryLog();

  async function decide(req: IncomingMessage): Promise<Reply> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      return req.method === 'GET' || req.method === 'HEAD'
        ? { status: 200, body: { ok: true }, summary: 'health check' }
        : { status: 405, body: { error: 'use GET /healthz' }, headers: { allow: 'GET' }, summary: 'wrong method' };
    }
    if (req.method !== 'POST') {
      return { status: 405, body: { error: `webhook deliveries are POSTed (got ${req.method})` }, headers: { allow: 'POST' }, summary: 'wrong method' };
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return { status: 415, body: { error: `set the webhook's content type to application/json (got ${JSON.stringify(req.headers['content-type'] ?? '')})` }, summary: 'wrong content type' };
    }
    const tooLarge: Reply = { status: 413, body: { error: `a delivery may be at most ${maxBodyBytes} bytes` }, summary: 'too large' };
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge;
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) return read.reason === 'too_large' ? tooLarge : { status: 400, body: { error: 'the request was cut off' }, summary: 'aborted' };

    if (!verifySignature(options.secret, read.body, header(req, 'x-hub-signature-256'))) {
      return { status: 401, body: { error: 'missing or wrong X-Hub-Signature-256: check that the webhook secret equals PRPILOT_WEBHOOK_SECRET' }, summary: 'bad signature' };
    }
    const event = header(req, 'x-github-event');
    const deliveryId = header(req, 'x-github-delivery');
    if (!event || !deliveryId) return { status: 400, body: { error: 'missing X-GitHub-Event or X-GitHub-Delivery' }, summary: 'not a GitHub delivery' };
    let payload: unknown;
    try {
      payload = JSON.parse(read.body.toString('utf8'));
    } catch (error) {
      return { status: 400, body: { error: `the payload is not JSON: ${(error as Error).message}` }, summary: 'malformed JSON' };
    }
    if (!deliveries.claim(deliveryId)) return { status: 200, body: { duplicate: true }, summary: 'duplicate delivery, ignored' };
    const reply = await dispatch(event, payload).catch((error: unknown): Reply => {
      if (error instanceof DeliveryError) return { status: error.status, body: { error: error.message }, summary: error.message };
      const message = error instanceof Error ? error.message : String(error);
      return { status: 500, body: { error: message }, summary: `failed: ${message}` };
    });
    if (reply.status < 300) deliveries.succeeded(deliveryId);
    else deliveries.failed(deliveryId);
    return reply;
  }

  async function dispatch(event: string, payload: unknown): Promise<Reply> {
    if (event === 'ping') return { status: 200, body: { ok: true, pong: true }, summary: 'ping' };
    if (event !== 'pull_request') {
      return { status: 400, body: { error: `prpilot handles pull_request (and ping) events, not ${JSON.stringify(event)}: send only pull requests to this webhook` }, summary: `unsupported event ${event}` };
    }
    const parsed = pullRequestEventSchema.safeParse(payload);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      return { status: 400, body: { error: `not a pull_request payload (${problems})` }, summary: 'invalid pull_request payload' };
    }
    const { action } = parsed.data;
    const pr = pullRequestInfo(parsed.data.pull_request);
    const label = `${action} ${repoSlug(pr.repo)}#${pr.number} at ${pr.headSha.slice(0, 12)}`;
    const ignored = (why: string): Reply => ({ status: 202, body: { ignored: true, reason: why }, summary: `${label}: ignored (${why})` });
    if (!START_ACTIONS.has(action) && action !== PUSH_ACTION) return ignored(`prpilot acts on opened, reopened and synchronize, not ${action}`);
    // A fork's author may have no write access: its code must not run on a worker unless a human starts it.
    if (pr.fromFork) return ignored(`the head is in a fork; start it by hand: prpilot start --repo ${repoSlug(pr.repo)} --pr ${pr.number}`);
    const result = action === PUSH_ACTION ? await options.starter.pushRevision(pr) : await options.starter.startPullRequest(pr);
    return { status: 202, body: { ...result }, summary: `${label}: ${result.action.replace('_', ' ')} ${result.workflowId}` };
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    decide(req).then((reply) => {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(`${JSON.stringify(reply.body)}\n`);
      if (!req.readableEnded) discardRest(req);
      const event = header(req, 'x-github-event') ?? '-';
      options.log(`webhook: ${header(req, 'x-github-delivery') ?? '-'} ${event} → ${reply.status} ${reply.summary} (${Date.now() - started} ms)`);
    }, (error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ error: String(error) })}\n`);
      options.log(`webhook: ${header(req, 'x-github-delivery') ?? '-'} → 500 ${String(error)}`);
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
