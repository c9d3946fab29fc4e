/**
 * `prpilot webhook`'s HTTP handler on a real listening server, with a fake starter in place of
 * Temporal: what is checked before anything starts, and what starts (or does not) for each delivery.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PullRequestInfo } from '../../github/pullRequest.js';
import { DeliveryLog } from '../../cli/webhook/deliveries.js';
import { createWebhookHandler, DeliveryError, type StartResult, type WebhookStarter } from '../../cli/webhook/handler.js';
import { listen, type ListeningServer } from '../../cli/webhook/server.js';
import { signBody, verifySignature } from '../../cli/webhook/signature.js';

const SECRET = 'it is a secret to everybody';
const BASE_SHA = 'a'.repeat(40);
const HEAD_SHA = 'b'.repeat(40);

function pullRequestPayload(action: string, overrides: { fork?: boolean; number?: number } = {}) {
  const repository = { name: 'shop', full_name: 'acme/shop', owner: { login: 'acme' }, clone_url: 'https://github.com/acme/shop.git' };
  const fork = { name: 'shop', full_name: 'mallory/shop', owner: { login: 'mallory' } };
  const number = overrides.number ?? 7;
  return {
    action,
    number,
    pull_request: {
      number, state: 'open', title: 'Friendlier greeting', body: 'Marketing asked for it.', user: { login: 'alice' },
      base: { ref: 'main', sha: BASE_SHA, repo: repository },
      head: { ref: 'greeting', sha: HEAD_SHA, repo: overrides.fork ? fork : repository },
    },
    repository,
    sender: { login: 'alice' },
  };
}

interface Call { kind: 'start' | 'push'; pr: PullRequestInfo }

class FakeStarter implements WebhookStarter {
  calls: Call[] = [];
  failWith: DeliveryError | null = null;
  async startPullRequest(pr: PullRequestInfo): Promise<StartResult> {
    return this.answer('start', pr, 'started');
  }
  async pushRevision(pr: PullRequestInfo): Promise<StartResult> {
    return this.answer('push', pr, 'revision_pushed');
  }
  private answer(kind: Call['kind'], pr: PullRequestInfo, action: StartResult['action']): StartResult {
    if (this.failWith) throw this.failWith;
    this.calls.push({ kind, pr });
    return { workflowId: `pr-${pr.repo.owner}-${pr.repo.name}-${pr.number}`, action };
  }
}

interface Answer { status: number; body: Record<string, unknown> }

describe('prpilot webhook handler', () => {
  let server: ListeningServer;
  const starter = new FakeStarter();
  const logs: string[] = [];
  let delivery = 0;

  before(async () => {
    server = await listen(createWebhookHandler({ secret: SECRET, starter, log: (line) => logs.push(line), deliveries: new DeliveryLog(100) }), 0, '127.0.0.1');
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => {
    starter.calls = [];
    starter.failWith = null;
  });

  const send = (options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = options.body === undefined ? undefined : Buffer.from(options.body);
      const req = request(`${server.url}${options.path ?? '/'}`, {
        method: options.method ?? 'POST',
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
      }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) as Record<string, unknown> : {} }));
      });
      req.on('error', reject);
      req.end(body);
    });

  /** A delivery as GitHub sends it; `secret: null` leaves the signature out. */
  const deliver = (event: string, payload: unknown, options: { secret?: string | null; id?: string; raw?: string } = {}) => {
    const body = options.raw ?? JSON.stringify(payload);
    const secret = options.secret === undefined ? SECRET : options.secret;
    return send({
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': options.id ?? `delivery-${++delivery}`,
        ...(secret === null ? {} : { 'x-hub-signature-256': signBody(secret, body) }),
      },
    });
  };

  it('starts the workflow for a correctly signed opened PR and answers 202', async () => {
    const answer = await deliver('pull_request', pullRequestPayload('opened'));
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body, { workflowId: 'pr-acme-shop-7', action: 'started' });
    assert.equal(starter.calls.length, 1);
    const call = starter.calls[0]!;
    assert.equal(call.kind, 'start');
    assert.deepEqual(call.pr.repo, { owner: 'acme', name: 'shop' });
    assert.equal(call.pr.headSha, HEAD_SHA);
    assert.equal(call.pr.author, 'alice');
    assert.match(logs.at(-1) ?? '', /pull_request → 202 opened acme\/shop#7 at b{12}: started pr-acme-shop-7/);
  });

  it('reopened starts, synchronize pushes the new head, other actions are ignored', async () => {
    assert.equal((await deliver('pull_request', pullRequestPayload('reopened'))).status, 202);
    const pushed = await deliver('pull_request', pullRequestPayload('synchronize'));
    assert.equal(pushed.status, 202);
    assert.equal(pushed.body.action, 'revision_pushed');
    const closed = await deliver('pull_request', pullRequestPayload('closed'));
    assert.equal(closed.status, 202);
    assert.equal(closed.body.ignored, true);
    assert.deepEqual(starter.calls.map((call) => call.kind), ['start', 'push']);
  });

  it('does not start a PR whose head is in a fork', async () => {
    const answer = await deliver('pull_request', pullRequestPayload('opened', { fork: true }));
    assert.equal(answer.status, 202);
    assert.match(String(answer.body.reason), /fork.*prpilot start --repo acme\/shop --pr 7/);
    assert.equal(starter.calls.length, 0);
  });

  it('rejects a signature made with another secret, or none, with 401 and starts nothing', async () => {
    const wrong = await deliver('pull_request', pullRequestPayload('opened'), { secret: 'not the secret' });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.body.error), /X-Hub-Signature-256/);
    assert.equal((await deliver('pull_request', pullRequestPayload('opened'), { secret: null })).status, 401);
    const truncated = await send({
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'short-sig', 'x-hub-signature-256': signBody(SECRET, '{}').slice(0, 20) },
    });
    assert.equal(truncated.status, 401);
    assert.equal(starter.calls.length, 0);
  });

  it('answers a replayed delivery id with 200 {"duplicate":true} and starts nothing twice', async () => {
    const payload = pullRequestPayload('opened', { number: 8 });
    const first = await deliver('pull_request', payload, { id: 'replayed-1' });
    assert.equal(first.status, 202);
    const again = await deliver('pull_request', payload, { id: 'replayed-1' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { duplicate: true });
    assert.equal(starter.calls.length, 1);
  });

  it('handles a redelivery of a delivery that failed (503 while Temporal was down)', async () => {
    starter.failWith = new DeliveryError(503, 'Temporal at 127.0.0.1:1 did not answer');
    const down = await deliver('pull_request', pullRequestPayload('opened', { number: 9 }), { id: 'redelivered-1' });
    assert.equal(down.status, 503);
    assert.match(String(down.body.error), /did not answer/);
    starter.failWith = null;
    const redelivered = await deliver('pull_request', pullRequestPayload('opened', { number: 9 }), { id: 'redelivered-1' });
    assert.equal(redelivered.status, 202);
    assert.equal(starter.calls.length, 1);
  });

  it('rejects a body over 25 MiB with 413 when its length is declared, without starting anything', async () => {
    const big = Buffer.alloc(25 * 1024 * 1024 + 1, 0x20);
    const answer = await send({
      body: big,
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'big-1', 'x-hub-signature-256': signBody(SECRET, big) },
    });
    assert.equal(answer.status, 413);
    assert.equal(starter.calls.length, 0);
  });

  it('answers 413 as soon as a streamed body passes 25 MiB, before the client has finished sending', { timeout: 30_000 }, async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'big-2', 'x-hub-signature-256': 'sha256=00' },
      }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'ECONNRESET') reject(error); });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      // 26 MiB, and the request is never ended: only an early answer can settle this promise.
      for (let i = 0; i < 26; i++) req.write(chunk);
    });
    assert.equal(status, 413);
    assert.equal(starter.calls.length, 0);
  });

  it('rejects any event but pull_request and ping with 400 naming it; ping answers 200', async () => {
    const issues = await deliver('issues', { action: 'opened' });
    assert.equal(issues.status, 400);
    assert.match(String(issues.body.error), /handles pull_request .* not "issues"/);
    const ping = await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    assert.equal(ping.status, 200);
    assert.equal(starter.calls.length, 0);
  });

  it('rejects malformed JSON and a payload that is not a pull request with 400', async () => {
    const bad = await deliver('pull_request', null, { raw: '{"action": "opened", ' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /not JSON/);
    const wrongShape = await deliver('pull_request', { action: 'opened', number: 7 });
    assert.equal(wrongShape.status, 400);
    assert.match(String(wrongShape.body.error), /pull_request/);
    assert.equal(starter.calls.length, 0);
  });

  it('answers 405 to other methods, 415 to other content types, 200 on GET /healthz', async () => {
    const get = await send({ method: 'GET' });
    assert.equal(get.status, 405);
    const form = await send({ body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'ping', 'x-github-delivery': 'form-1' } });
    assert.equal(form.status, 415);
    assert.match(String(form.body.error), /application\/json/);
    const health = await send({ method: 'GET', path: '/healthz' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { ok: true });
  });

  it('logs one line per delivery', async () => {
    const before = logs.length;
    await deliver('ping', {}, { id: 'logged-1' });
    await deliver('ping', {}, { id: 'logged-2', secret: 'wrong' });
    assert.equal(logs.length - before, 2);
    assert.match(logs[before]!, /logged-1 ping → 200/);
    assert.match(logs[before + 1]!, /logged-2 ping → 401 bad signature/);
  });
});

describe('webhook signatures', () => {
  it('accepts only the HMAC-SHA256 of the exact bytes under the secret', () => {
    const body = Buffer.from('{"zen":"x"}');
    const good = signBody(SECRET, body);
    assert.equal(verifySignature(SECRET, body, good), true);
    assert.equal(verifySignature(SECRET, body, good.toUpperCase().replace('SHA256=', 'sha256=')), true);
    assert.equal(verifySignature(SECRET, Buffer.from('{"zen":"y"}'), good), false);
    assert.equal(verifySignature('other', body, good), false);
    assert.equal(verifySignature(SECRET, body, undefined), false);
    assert.equal(verifySignature(SECRET, body, good.replace('sha256=', 'sha1=')), false);
    assert.equal(verifySignature(SECRET, body, `${good}00`), false);
    assert.equal(verifySignature(SECRET, body, 'sha256=' + 'zz'.repeat(32)), false);
  });
});

describe('delivery log', () => {
  it('forgets the oldest ids beyond its capacity and never remembers a failed one', () => {
    const log = new DeliveryLog(2);
    for (const id of ['a', 'b', 'c']) {
      assert.equal(log.claim(id), true);
      log.succeeded(id);
    }
    assert.equal(log.size, 2);
    assert.equal(log.claim('a'), true, 'the oldest was forgotten');
    log.failed('a');
    assert.equal(log.claim('c'), false);
    assert.equal(log.claim('x'), true);
    assert.equal(log.claim('x'), false, 'in flight');
    log.failed('x');
    assert.equal(log.claim('x'), true);
  });
});
