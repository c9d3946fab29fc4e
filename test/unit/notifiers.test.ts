/**
 * The notification channels against a real local HTTP receiver (no fetch mocks): Slack's body, the
 * webhook's body and signature, how statuses and timeouts map to Temporal's retries, and, on Temporal's
 * time-skipping test server, that a retry after one channel failed does not post to the others again.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { readEnv } from '../../config/env.js';
import { PROJECT_ROOT } from '../../config/paths.js';
import { notifyActivity } from '../../activities/notify/activity.js';
import { createFanoutNotifier } from '../../activities/notify/fanout.js';
import { createFileTarget, type DeliveryLedger, type DeliveryState, type Notification, type NotificationTarget } from '../../activities/notify/notifier.js';
import { notificationKey } from '../../activities/notify/key.js';
import { notifierFromEnv } from '../../activities/notify/select.js';
import { createSlackTarget, slackMessage } from '../../activities/notify/slack.js';
import { createWebhookTarget, SIGNATURE_HEADER, webhookPayloadSchema } from '../../activities/notify/webhook.js';
import { timeSkippingEnv } from '../helpers/temporal.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A real HTTP server on 127.0.0.1 that records each request and answers from a script (then 200). */
async function startReceiver(script: Reply[] = []) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = script.shift() ?? { status: 200, body: 'ok' };
      if (reply === 'hang') {
        hanging.push(response);
        return;
      }
      response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (secretPath = '/hook') => `http://127.0.0.1:${port}${secretPath}`,
    received,
    async stop() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const escalation: Notification = {
  event: 'approval_requested',
  workflowId: 'pr-local-orders-42',
  title: 'Approval needed: Add <!channel> & migration',
  text: 'schema_change: migrations/001.sql adds a table\nApprove: prpilot approve pr-local-orders-42 --by <you> --reason "<why>"',
};
const outcome: Notification = { event: 'rolled_back', workflowId: 'pr-local-orders-43', title: 'Fix cache: rolled_back', text: 'error rate 25% > 0.5%' };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

function memoryLedger(): DeliveryLedger & { state: DeliveryState } {
  const ledger = {
    state: { delivered: [], rejected: {} } as DeliveryState,
    load: () => ledger.state,
    save: (state: DeliveryState) => { ledger.state = state; },
  };
  return ledger;
}

let dir: string;
before(async () => { dir = await mkdtemp(path.join(tmpdir(), 'prpilot-notify-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe('Slack notifier', () => {
  it('posts {text, blocks}: a header, the title, the reason, the exact commands and the UI link', async () => {
    const receiver = await startReceiver();
    try {
      const slack = createSlackTarget({ webhookUrl: receiver.url('/services/T0/B0/secret'), workflowUrl: (id) => `http://ui.example/namespaces/default/workflows/${id}` });
      await slack.deliver(escalation, { key: 'k1' });
      assert.equal(receiver.received.length, 1);
      const [request] = receiver.received;
      assert.equal(request?.path, '/services/T0/B0/secret');
      assert.equal(request?.headers['content-type'], 'application/json');
      const body = JSON.parse(request?.body ?? '') as ReturnType<typeof slackMessage>;
      assert.deepEqual(Object.keys(body).sort(), ['blocks', 'text']);
      assert.deepEqual(body.blocks.map((block) => block.type), ['header', 'section', 'section', 'context']);
      assert.deepEqual(body.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'Approval needed' } });
      const all = JSON.stringify(body.blocks);
      // The title is the PR author's text: it cannot ping the channel or forge a link.
      assert.ok(all.includes('*Approval needed: Add &lt;!channel&gt; &amp; migration*'), all);
      assert.ok(!all.includes('<!channel>'));
      assert.ok(all.includes('schema_change: migrations/001.sql adds a table'));
      assert.ok(all.includes('prpilot approve pr-local-orders-42 --by &lt;you&gt;'));
      assert.ok(all.includes('prpilot reject pr-local-orders-42 --by &lt;you&gt; --reason \\"&lt;why&gt;\\"'));
      assert.ok(all.includes('<http://ui.example/namespaces/default/workflows/pr-local-orders-42|open in Temporal UI>'));
      assert.equal(body.text, 'Approval needed: Approval needed: Add &lt;!channel&gt; &amp; migration');
    } finally {
      await receiver.stop();
    }
  });

  it('shows no commands for an outcome, and no link when the UI address is unknown', () => {
    const message = slackMessage(outcome);
    assert.deepEqual(message.blocks.map((block) => block.type), ['header', 'section', 'context']);
    assert.ok(!JSON.stringify(message).includes('prpilot approve'));
    assert.ok(!JSON.stringify(message).includes('Temporal UI'));
  });
});

describe('webhook notifier', () => {
  it('posts the versioned body with an Idempotency-Key and a signature verifiable with the secret', async () => {
    const receiver = await startReceiver();
    try {
      const secret = 'shh-its-a-secret';
      const webhook = createWebhookTarget({ url: receiver.url(), secret, workflowUrl: (id) => `http://ui.example/w/${id}` });
      const key = notificationKey(escalation, { runId: 'run-1', activityId: '7' });
      await webhook.deliver({ ...escalation, artifactSha256: 'a'.repeat(64) }, { key });
      const [request] = receiver.received;
      assert.ok(request);
      const payload = webhookPayloadSchema.parse(JSON.parse(request.body));
      assert.deepEqual(payload, {
        type: 'prpilot.notification',
        version: 1,
        id: key,
        event: 'approval_requested',
        workflowId: 'pr-local-orders-42',
        title: escalation.title,
        text: escalation.text,
        artifactSha256: 'a'.repeat(64),
        url: 'http://ui.example/w/pr-local-orders-42',
        commands: {
          approve: 'prpilot approve pr-local-orders-42 --by <you>',
          reject: 'prpilot reject pr-local-orders-42 --by <you> --reason "<why>"',
          status: 'prpilot status pr-local-orders-42',
        },
      });
      assert.equal(request.headers['idempotency-key'], key);
      assert.equal(request.headers['x-prpilot-event'], 'approval_requested');
      const expected = `sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`;
      assert.equal(request.headers[SIGNATURE_HEADER], expected);
      const forged = `sha256=${createHmac('sha256', 'another-secret').update(request.body).digest('hex')}`;
      assert.notEqual(request.headers[SIGNATURE_HEADER], forged);
    } finally {
      await receiver.stop();
    }
  });

  it('sends no signature without a secret, and null commands for an outcome', async () => {
    const receiver = await startReceiver();
    try {
      await createWebhookTarget({ url: receiver.url() }).deliver(outcome, { key: 'k2' });
      const [request] = receiver.received;
      assert.equal(request?.headers[SIGNATURE_HEADER], undefined);
      const payload = webhookPayloadSchema.parse(JSON.parse(request?.body ?? ''));
      assert.equal(payload.commands, null);
      assert.equal(payload.url, null);
    } finally {
      await receiver.stop();
    }
  });

  it('gives each notify call its own key and every retry of one call the same key', () => {
    const scope = { runId: 'run-1', activityId: '12' };
    assert.equal(notificationKey(escalation, scope), notificationKey(escalation, { ...scope }));
    assert.notEqual(notificationKey(escalation, scope), notificationKey(escalation, { ...scope, activityId: '13' }));
    assert.notEqual(notificationKey(escalation, scope), notificationKey(escalation, { ...scope, runId: 'run-2' }));
    assert.match(notificationKey(escalation, scope), /^[0-9a-f]{64}$/);
  });
});

describe('delivery failures', () => {
  it('throws a retryable failure with the status and the body on 500, then succeeds with the same key and body', async () => {
    const receiver = await startReceiver([{ status: 500, body: 'upstream\n  exploded' }]);
    try {
      const webhook = createWebhookTarget({ url: receiver.url('/path-secret'), secret: 's' });
      const failure = await failureOf(webhook.deliver(outcome, { key: 'same-key' }));
      assert.equal(failure.nonRetryable, false);
      assert.equal(failure.type, 'NotificationUnavailable');
      assert.match(failure.message, /^webhook: HTTP 500 from 127\.0\.0\.1:\d+: upstream exploded$/);
      assert.ok(!failure.message.includes('path-secret'), 'the URL path may hold a secret');
      await webhook.deliver(outcome, { key: 'same-key' });
      assert.equal(receiver.received.length, 2);
      assert.equal(receiver.received[0]?.headers['idempotency-key'], 'same-key');
      assert.equal(receiver.received[1]?.headers['idempotency-key'], 'same-key');
      assert.equal(receiver.received[0]?.body, receiver.received[1]?.body);
      assert.equal(receiver.received[0]?.headers[SIGNATURE_HEADER], receiver.received[1]?.headers[SIGNATURE_HEADER]);
    } finally {
      await receiver.stop();
    }
  });

  it('throws a non-retryable failure on 400, 401, 404 and a redirect', async () => {
    const receiver = await startReceiver([
      { status: 400, body: 'invalid_payload' },
      { status: 401, body: '' },
      { status: 404, body: 'no_service' },
      { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    ]);
    try {
      const slack = createSlackTarget({ webhookUrl: receiver.url() });
      const bad = await failureOf(slack.deliver(escalation, { key: 'k' }));
      assert.equal(bad.nonRetryable, true);
      assert.equal(bad.type, 'NotificationRejected');
      assert.match(bad.message, /^slack: HTTP 400 from 127\.0\.0\.1:\d+: invalid_payload$/);
      assert.match((await failureOf(slack.deliver(escalation, { key: 'k' }))).message, /HTTP 401 from 127\.0\.0\.1:\d+$/);
      assert.equal((await failureOf(slack.deliver(escalation, { key: 'k' }))).nonRetryable, true);
      const redirect = await failureOf(slack.deliver(escalation, { key: 'k' }));
      assert.equal(redirect.nonRetryable, true);
      assert.match(redirect.message, /HTTP 302 .*configure the final URL/);
      assert.equal(receiver.received.length, 4, 'the redirect is not followed');
    } finally {
      await receiver.stop();
    }
  });

  it('retries 408 and 429, honouring Retry-After', async () => {
    const receiver = await startReceiver([{ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } }, { status: 408 }]);
    try {
      const webhook = createWebhookTarget({ url: receiver.url() });
      const limited = await failureOf(webhook.deliver(outcome, { key: 'k' }));
      assert.equal(limited.nonRetryable, false);
      assert.equal(limited.nextRetryDelay, 7_000);
      assert.equal((await failureOf(webhook.deliver(outcome, { key: 'k' }))).nonRetryable, false);
    } finally {
      await receiver.stop();
    }
  });

  it('gives up on a receiver that does not answer within the timeout, as a retryable failure', async () => {
    const receiver = await startReceiver(['hang']);
    try {
      const slack = createSlackTarget({ webhookUrl: receiver.url(), timeoutMs: 300 });
      const failure = await failureOf(slack.deliver(escalation, { key: 'k' }));
      assert.equal(failure.nonRetryable, false);
      assert.match(failure.message, /^slack: no answer from 127\.0\.0\.1:\d+ within 300 ms$/);
    } finally {
      await receiver.stop();
    }
  });

  it('treats a refused connection as retryable', async () => {
    const receiver = await startReceiver();
    const url = receiver.url();
    await receiver.stop();
    const failure = await failureOf(createWebhookTarget({ url }).deliver(outcome, { key: 'k' }));
    assert.equal(failure.nonRetryable, false);
    assert.match(failure.message, /^webhook: cannot reach 127\.0\.0\.1:\d+: fetch failed/);
  });
});

describe('fan-out to every channel', () => {
  it('delivers to the others when Slack fails, fails so Temporal retries, and the retry posts only to Slack', async () => {
    const slackReceiver = await startReceiver([{ status: 503, body: 'try later' }]);
    const hookReceiver = await startReceiver();
    try {
      const log = path.join(dir, 'fanout-retry.log');
      const notifier = createFanoutNotifier([
        createFileTarget(log),
        createSlackTarget({ webhookUrl: slackReceiver.url() }),
        createWebhookTarget({ url: hookReceiver.url() }),
      ]);
      const ledger = memoryLedger();
      const failure = await failureOf(notifier.notify(outcome, { key: 'k', ledger }));
      assert.equal(failure.nonRetryable, false);
      assert.match(failure.message, /slack: HTTP 503 .*try later; delivered to (file|webhook), (file|webhook)$/);
      assert.deepEqual([...ledger.state.delivered].sort(), ['file', 'webhook']);

      await notifier.notify(outcome, { key: 'k', ledger });
      assert.equal(slackReceiver.received.length, 2);
      assert.equal(hookReceiver.received.length, 1, 'the webhook got the notification once');
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      assert.equal(lines.length, 1, 'the log got it once');
      assert.equal((JSON.parse(lines[0] ?? '') as { id: string }).id, 'k');
    } finally {
      await slackReceiver.stop();
      await hookReceiver.stop();
    }
  });

  it('does not try a channel that refused for good again, and ends non-retryable once the rest succeeded', async () => {
    const slackReceiver = await startReceiver([{ status: 404, body: 'no_service' }]);
    const hookReceiver = await startReceiver([{ status: 500 }]);
    try {
      const notifier = createFanoutNotifier([createSlackTarget({ webhookUrl: slackReceiver.url() }), createWebhookTarget({ url: hookReceiver.url() })]);
      const ledger = memoryLedger();
      const first = await failureOf(notifier.notify(outcome, { key: 'k', ledger }));
      assert.equal(first.nonRetryable, false, 'the webhook may still take it');
      const second = await failureOf(notifier.notify(outcome, { key: 'k', ledger }));
      assert.equal(second.nonRetryable, true);
      assert.equal(second.type, 'NotificationRejected');
      assert.match(second.message, /slack: HTTP 404 .*no_service; delivered to webhook$/);
      assert.equal(slackReceiver.received.length, 1);
      assert.equal(hookReceiver.received.length, 2);
    } finally {
      await slackReceiver.stop();
      await hookReceiver.stop();
    }
  });

  it('delivers to one channel even when another throws a plain error', async () => {
    const hookReceiver = await startReceiver();
    try {
      const broken: NotificationTarget = { name: 'broken', deliver: () => Promise.reject(new Error('disk full')) };
      const failure = await failureOf(createFanoutNotifier([broken, createWebhookTarget({ url: hookReceiver.url() })]).notify(outcome));
      assert.equal(failure.nonRetryable, false);
      assert.match(failure.message, /broken: disk full; delivered to webhook$/);
      assert.equal(hookReceiver.received.length, 1);
    } finally {
      await hookReceiver.stop();
    }
  });
});

describe('channels from the environment', () => {
  it('always writes the log, and adds Slack and the webhook when their URLs are set', () => {
    const file = path.join(dir, 'env.log');
    assert.deepEqual(notifierFromEnv(readEnv({}), file).targets, ['file']);
    const both = readEnv({ PRPILOT_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T/B/X', PRPILOT_NOTIFY_WEBHOOK_URL: 'https://hooks.example/prpilot' });
    assert.deepEqual(notifierFromEnv(both, file).targets, ['file', 'slack', 'webhook']);
  });

  it('names the variable of a bad URL without echoing its secret', () => {
    const file = path.join(dir, 'env.log');
    assert.throws(() => notifierFromEnv(readEnv({ PRPILOT_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/topsecret' }), file), (error: Error) => {
      assert.match(error.message, /^PRPILOT_SLACK_WEBHOOK_URL is not a URL/);
      assert.ok(!error.message.includes('topsecret'));
      return true;
    });
    assert.throws(() => notifierFromEnv(readEnv({ PRPILOT_NOTIFY_WEBHOOK_SECRET: 's' }), file), /PRPILOT_NOTIFY_WEBHOOK_SECRET is set but PRPILOT_NOTIFY_WEBHOOK_URL is not/);
  });
});

describe('notify activity heartbeats', () => {
  it('heartbeats while a channel is slow, every beat carrying the delivery ledger (a bare beat would erase it)', async () => {
    const slowWebhook: NotificationTarget = { name: 'webhook', deliver: () => sleep(200) };
    const log = path.join(await mkdtemp(path.join(tmpdir(), 'prpilot-notify-beats-')), 'notifications.log');
    const notifier = createFanoutNotifier([createFileTarget(log), slowWebhook]);
    const environment = new MockActivityEnvironment();
    const beats: unknown[] = [];
    environment.on('heartbeat', (details: unknown) => beats.push(details));
    await environment.run(notifyActivity({ notifier }, { everyMs: 20 }), escalation);
    const ledgers = beats.map((beat) => (beat as { notification?: { delivered: string[] } } | undefined)?.notification?.delivered);
    const sinceTheFileTookIt = ledgers.slice(ledgers.findIndex((delivered) => delivered?.includes('file')));
    assert.ok(sinceTheFileTookIt.length >= 5, `${sinceTheFileTookIt.length} beats while the webhook took 200 ms`);
    assert.ok(sinceTheFileTookIt.every((delivered) => delivered?.includes('file')), `a beat without the ledger: ${JSON.stringify(ledgers)}`);
    assert.deepEqual(ledgers.at(-1), ['file', 'webhook']);
    await rm(path.dirname(log), { recursive: true, force: true });
  });
});

describe('notify activity on Temporal', () => {
  it("keeps delivered channels across Temporal's retries: a Slack 500 is retried without posting to the webhook twice", async () => {
    const env = await timeSkippingEnv();
    const slackReceiver = await startReceiver([{ status: 500, body: 'slack is down' }]);
    const hookReceiver = await startReceiver();
    const workflowDir = await mkdtemp(path.join(tmpdir(), 'prpilot-notify-workflow-'));
    try {
      // A two-line workflow that sends two notifications (two calls, as an approval request and a reminder are).
      const workflowsPath = path.join(workflowDir, 'workflows.ts');
      await writeFile(workflowsPath, [
        "import { proxyActivities } from '@temporalio/workflow';",
        "const { notify } = proxyActivities<{ notify(n: unknown): Promise<void> }>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumAttempts: 3 } });",
        'export async function notifyTwice(first: unknown, second: unknown): Promise<void> { await notify(first); await notify(second); }',
      ].join('\n'));
      const workflowBundle = await bundleWorkflowCode({
        workflowsPath,
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) },
        // The file lives in a temp dir: resolve @temporalio/workflow from this checkout.
        webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [path.join(PROJECT_ROOT, 'node_modules'), 'node_modules'] } }),
      });
      const log = path.join(workflowDir, 'notifications.log');
      const notifier = createFanoutNotifier([
        createFileTarget(log),
        createSlackTarget({ webhookUrl: slackReceiver.url() }),
        createWebhookTarget({ url: hookReceiver.url() }),
      ]);
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: 'notify-test',
        workflowBundle,
        activities: { notify: notifyActivity({ notifier }) },
      });
      const reminder: Notification = { ...escalation, event: 'approval_reminder', title: 'Reminder' };
      await worker.runUntil(env.client.workflow.execute('notifyTwice', { taskQueue: 'notify-test', workflowId: 'pr-notify-test', args: [escalation, reminder] }));

      assert.equal(slackReceiver.received.length, 3, 'Slack: the request, its retry, the reminder');
      assert.equal(hookReceiver.received.length, 2, 'webhook: once per notification, not again on the retry');
      const [first, second] = hookReceiver.received.map((request) => webhookPayloadSchema.parse(JSON.parse(request.body)));
      assert.equal(first?.event, 'approval_requested');
      assert.equal(second?.event, 'approval_reminder');
      assert.notEqual(first?.id, second?.id, 'two notifications, two keys');
      assert.equal(hookReceiver.received[0]?.headers['idempotency-key'], first?.id);
      const lines = (await readFile(log, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { event: string; id: string });
      assert.deepEqual(lines.map((line) => line.event), ['approval_requested', 'approval_reminder']);
      assert.equal(lines[0]?.id, first?.id, 'the log and the webhook carry the same key');
    } finally {
      await slackReceiver.stop();
      await hookReceiver.stop();
      await env.teardown();
      await rm(workflowDir, { recursive: true, force: true });
    }
  });
});
