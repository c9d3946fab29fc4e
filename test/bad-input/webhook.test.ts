/**
 * Bad deliveries to the real `prpilot webhook` process (against a real dev server and the GitHub API
 * stub): each answers its HTTP status with an exact error, reads nothing from GitHub before the
 * signature is checked, and starts or signals no workflow. A replayed delivery id is answered as a
 * duplicate and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signBody } from '../../cli/webhook/signature.js';
import { startGitHubStub, type GitHubStub } from '../stub/githubStub.js';
import { createRepo, SERVICE_CONFIG, type FixtureRepo } from './lib/repo.js';
import { deliver, startWebhook, type Answer, type Delivery, type WebhookProcess } from './lib/webhook.js';
import { startWorld, type World } from './lib/world.js';

const SECRET = 'bad-input-webhook-secret';
const TOKEN = 'ghs_badinputstub';
const OWNER = 'acme';
const MAX_BODY_BYTES = 25 * 1024 * 1024;

interface WebhookCase {
  name: string;
  delivery: () => Promise<Delivery> | Delivery;
  status: number;
  error?: RegExp;
  body?: Record<string, unknown>;
}

describe('bad webhook deliveries', { timeout: 900_000 }, () => {
  let world: World;
  let stub: GitHubStub;
  let webhook: WebhookProcess;
  let repo: FixtureRepo;
  let broken: FixtureRepo;
  let deliveries = 0;

  /** A signed delivery of `payload` (an object, or raw text), as GitHub sends it. */
  const signed = (event: string, payload: unknown, id = `bad-input-${++deliveries}`): Delivery => {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return {
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': signBody(SECRET, body) },
      body,
    };
  };
  const opened = (number: number, name = 'svc', action = 'opened') => stub.pullRequestEvent(OWNER, name, number, action);
  const withHeaders = (delivery: Delivery, headers: Record<string, string | null>): Delivery => {
    const merged: Record<string, string> = { ...delivery.headers };
    for (const [key, value] of Object.entries(headers)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    return { ...delivery, headers: merged };
  };

  before(async () => {
    world = await startWorld('webhook');
    repo = await createRepo(world.dir, 'svc');
    await repo.branch('feature', { 'app.js': 'export const answer = 2;\n' });
    broken = await createRepo(world.dir, 'broken', { 'prpilot.config.json': JSON.stringify({ ...SERVICE_CONFIG, canary: { percent: 150 } }), 'app.js': '1;\n' });
    await broken.branch('feature', { 'app.js': '2;\n' });
    stub = await startGitHubStub({ token: TOKEN });
    stub.addRepo(OWNER, 'svc', repo.path);
    stub.addRepo(OWNER, 'broken', broken.path);
    stub.addPull(OWNER, 'svc', { number: 1, baseRef: 'main', headRef: 'feature', title: 'Answer 2', body: '', author: 'alice' });
    stub.addPull(OWNER, 'svc', { number: 2, baseRef: 'main', headRef: 'feature', title: 'From a fork', body: '', author: 'eve', fromFork: true });
    stub.addPull(OWNER, 'broken', { number: 3, baseRef: 'main', headRef: 'feature', title: 'Broken config', body: '', author: 'alice' });
    webhook = await startWebhook({ ...world.env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: stub.url, PRPILOT_WEBHOOK_SECRET: SECRET });
  });
  after(async () => {
    await webhook?.stop();
    await stub?.close();
    await world?.stop();
  });

  const cases: WebhookCase[] = [
    {
      name: 'GET instead of POST', delivery: () => ({ method: 'GET' }), status: 405,
      error: /^webhook deliveries are POSTed \(got GET\)$/,
    },
    {
      name: 'PUT instead of POST', delivery: async () => ({ ...signed('pull_request', await opened(1)), method: 'PUT' }), status: 405,
      error: /^webhook deliveries are POSTed \(got PUT\)$/,
    },
    {
      name: 'form-encoded instead of JSON', delivery: async () => withHeaders(signed('pull_request', await opened(1)), { 'content-type': 'application/x-www-form-urlencoded' }), status: 415,
      error: /^set the webhook's content type to application\/json \(got "application\/x-www-form-urlencoded"\)$/,
    },
    {
      name: 'missing signature', delivery: async () => withHeaders(signed('pull_request', await opened(1)), { 'x-hub-signature-256': null }), status: 401,
      error: /^missing or wrong X-Hub-Signature-256: check that the webhook secret equals PRPILOT_WEBHOOK_SECRET$/,
    },
    {
      name: 'signed with another secret', delivery: async () => {
        const delivery = signed('pull_request', await opened(1));
        return withHeaders(delivery, { 'x-hub-signature-256': signBody('not-the-secret', delivery.body ?? '') });
      }, status: 401, error: /^missing or wrong X-Hub-Signature-256: /,
    },
    {
      name: 'body changed after signing', delivery: async () => {
        const delivery = signed('pull_request', await opened(1));
        return { ...delivery, body: String(delivery.body).replace('"opened"', '"reopened"') };
      }, status: 401, error: /^missing or wrong X-Hub-Signature-256: /,
    },
    {
      name: 'SHA-1 signature header', delivery: async () => {
        const delivery = signed('pull_request', await opened(1));
        return withHeaders(delivery, { 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` });
      }, status: 401, error: /^missing or wrong X-Hub-Signature-256: /,
    },
    {
      name: 'oversized body (Content-Length over 25 MiB)', delivery: () => signed('pull_request', `{"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`), status: 413,
      error: /^a delivery may be at most 26214400 bytes$/,
    },
    {
      name: 'oversized body sent chunked, without Content-Length', delivery: () => ({ ...signed('pull_request', `{"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`), chunked: true }), status: 413,
      error: /^a delivery may be at most 26214400 bytes$/,
    },
    {
      name: 'malformed JSON (validly signed)', delivery: () => signed('pull_request', '{"action":"opened",'), status: 400,
      error: /^the payload is not JSON: /,
    },
    {
      name: 'unknown event', delivery: () => signed('push', { ref: 'refs/heads/main' }), status: 400,
      error: /^prpilot handles pull_request \(and ping\) events, not "push": send only pull requests to this webhook$/,
    },
    {
      name: 'no X-GitHub-Event header', delivery: async () => withHeaders(signed('pull_request', await opened(1)), { 'x-github-event': null }), status: 400,
      error: /^missing X-GitHub-Event or X-GitHub-Delivery$/,
    },
    {
      name: 'no X-GitHub-Delivery header', delivery: async () => withHeaders(signed('pull_request', await opened(1)), { 'x-github-delivery': null }), status: 400,
      error: /^missing X-GitHub-Event or X-GitHub-Delivery$/,
    },
    {
      name: 'pull_request payload of the wrong shape', delivery: () => signed('pull_request', { action: 'opened', number: 'one', pull_request: {} }), status: 400,
      error: /^not a pull_request payload \(number: .+\)$/,
    },
    {
      name: 'a PR whose base config is invalid', delivery: async () => signed('pull_request', await opened(3, 'broken')), status: 422,
      error: /^config: canary\.percent: must be at most 100 \(got 150\) in prpilot\.config\.json of acme\/broken at base [0-9a-f]{12}$/,
    },
    {
      name: 'a PR from a fork is not started', delivery: async () => signed('pull_request', await opened(2)), status: 202,
      body: { ignored: true, reason: 'the head is in a fork; start it by hand: prpilot start --repo acme/svc --pr 2' },
    },
    {
      name: 'a closed PR is not started', delivery: async () => signed('pull_request', await opened(1, 'svc', 'closed')), status: 202,
      body: { ignored: true, reason: 'prpilot acts on opened, reopened and synchronize, not closed' },
    },
  ];

  /** Refusals before the payload is trusted must not reach GitHub; the verified-but-unwanted PRs may read it. */
  const mustNotAskGitHub = (name: string) => !/base config|fork|closed/.test(name);
  for (const entry of cases) {
    it(`${entry.name} → ${entry.status}`, async () => {
      const githubRequests = stub.requests.length;
      const answer: Answer = await deliver(webhook.url, await entry.delivery());
      assert.equal(answer.status, entry.status, `${JSON.stringify(answer.body)}\n${webhook.log()}`);
      if (entry.error) assert.match(String(answer.body.error), entry.error);
      if (entry.body) assert.deepEqual(answer.body, entry.body);
      if (entry.status === 405) assert.equal(answer.headers.allow, 'POST');
      if (mustNotAskGitHub(entry.name)) assert.equal(stub.requests.length, githubRequests, 'GitHub was not asked anything');
      assert.deepEqual(await world.workflowIds(), [], 'no workflow was started');
    });
  }

  describe('a replayed delivery id', () => {
    const workflowId = `pr-${OWNER}-svc-1`;
    it('a second copy of an opened delivery starts nothing and changes no history', async () => {
      const first = signed('pull_request', await opened(1), 'replayed-opened');
      const started = await deliver(webhook.url, first);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      assert.equal(started.body.workflowId, workflowId);
      const length = await world.historyLength(workflowId);
      const githubRequests = stub.requests.length;

      const replay = await deliver(webhook.url, first);
      assert.deepEqual([replay.status, replay.body], [200, { duplicate: true }]);
      assert.deepEqual(await world.workflowIds(), [workflowId]);
      assert.equal(await world.historyLength(workflowId), length);
      assert.equal(stub.requests.length, githubRequests, 'GitHub was not asked again');
    });

    it('a second copy of a synchronize delivery does not signal the run again', async () => {
      await repo.commitOn('feature', { 'app.js': 'export const answer = 3;\n' }, 'alice');
      const push = signed('pull_request', await opened(1, 'svc', 'synchronize'), 'replayed-synchronize');
      const pushed = await deliver(webhook.url, push);
      assert.deepEqual([pushed.status, pushed.body], [202, { workflowId, action: 'revision_pushed' }]);
      const length = await world.historyLength(workflowId);

      const replay = await deliver(webhook.url, push);
      assert.deepEqual([replay.status, replay.body], [200, { duplicate: true }]);
      assert.equal(await world.historyLength(workflowId), length, 'no second revisionPushed signal');
      const signals = (await world.client.workflow.getHandle(workflowId).fetchHistory()).events
        ?.filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'revisionPushed') ?? [];
      assert.equal(signals.length, 1);
    });
  });

  it('started nothing else, as `prpilot list --json` shows, and logged each refusal', async () => {
    await world.assertListed([`pr-${OWNER}-svc-1`]);
    assert.match(webhook.log(), / → 401 bad signature /);
    assert.match(webhook.log(), / → 413 too large /);
    assert.match(webhook.log(), /replayed-opened pull_request → 200 duplicate delivery, ignored/);
  });
});
