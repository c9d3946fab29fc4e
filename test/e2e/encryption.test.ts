/**
 * Payload encryption end to end: a real dev server, a real worker from createPrpilotWorker with
 * PRPILOT_ENCRYPTION_KEY, the real CLI with the key. The raw history, as `temporal workflow show`
 * gets it from the server, must hold no PR title, author or repo path; the CLI with the key still
 * reads status and a verified audit; `prpilot codec-server` decodes for holders of its token only,
 * for plain HTTP and for the temporal CLI's --codec-endpoint alike.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { buildDemoRepo } from '../../cli/demo/buildRepo.js';
import { homePaths } from '../../config/paths.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { createDeps, createPrpilotWorker } from '../../workers/worker.js';
import { dataConverterFromEnv } from '../../workers/dataConverter.js';
import { encryptionKeyId } from '../../workers/codec.js';
import { PRPILOT, processesMentioning, runCli, runProgram } from '../helpers/cli.js';
import { quietRuntime, startTestDevServer } from '../helpers/temporal.js';

interface JsonPayload { metadata?: Record<string, string>; data?: string }
interface FoundPayload { path: string; payload: JsonPayload }

const fromBase64 = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

/** Every payload in a proto3-JSON history, with where it sits. */
function payloadsIn(value: unknown, at = ''): FoundPayload[] {
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  if (typeof metadata === 'object' && metadata !== null && typeof metadata.encoding === 'string') return [{ path: at, payload: record as JsonPayload }];
  return Object.entries(record).flatMap(([key, child]) => payloadsIn(child, `${at}/${key}`));
}

/** Marker details the SDK core writes itself, past the codec: no user data, only its bookkeeping. */
const CORE_MARKER_DETAILS: Record<string, string> = {
  core_local_activity: 'data', // activity type, id, attempt, times (the result is encrypted)
  core_patch: 'patch-data', // the patched() id
};

/** What stays readable by design: search attributes (the server indexes them for `prpilot list`) and core markers' bookkeeping. */
function plainByDesign(found: FoundPayload, history: { events: Record<string, unknown>[] }): boolean {
  if (found.path.includes('/searchAttributes/')) return true;
  const match = /^\/events\/(\d+)\/markerRecordedEventAttributes\/details\/([^/]+)\/payloads\/\d+$/.exec(found.path);
  const marker = match ? history.events[Number(match[1])]?.markerRecordedEventAttributes as { markerName?: string } | undefined : undefined;
  return match !== null && marker?.markerName !== undefined && CORE_MARKER_DETAILS[marker.markerName] === match[2];
}

describe('payload encryption on a real dev server', { timeout: 600_000 }, () => {
  const key = randomBytes(32).toString('base64');
  const token = randomBytes(24).toString('hex');
  const title = `Encrypted title ${randomBytes(6).toString('hex')}`;
  const author = `author-${randomBytes(6).toString('hex')}`;
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let repoPath = '';
  let workflowId = '';
  let connection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let deps: ActivityDeps | undefined;
  let codecServer: ChildProcess | undefined;
  let rawHistory: { events: Record<string, unknown>[] } = { events: [] };
  let rawText = '';

  before(async () => {
    quietRuntime();
    server = await startTestDevServer();
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-enc-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', PRPILOT_ENCRYPTION_KEY: key };
    repoPath = (await buildDemoRepo(home)).path;
    const setup = await runCli(['setup'], env);
    assert.equal(setup.code, 0, setup.stderr);
    connection = await NativeConnection.connect({ address: server.address });
    deps = await createDeps(homePaths(home));
    worker = await createPrpilotWorker({
      connection, namespace: 'default', taskQueue: 'prpilot', deps, dataConverter: dataConverterFromEnv({ PRPILOT_ENCRYPTION_KEY: key }),
    });
    workerRun = worker.run();
  });
  after(async () => {
    if (codecServer && codecServer.exitCode === null) codecServer.kill('SIGKILL');
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    await deps?.target.stopAll();
    await connection?.close();
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
    await rm(home ?? '', { recursive: true, force: true });
  });

  it('runs a PR to a human wait and a rejection with the key', async () => {
    const start = await runCli([
      'start', '--repo', repoPath, '--base', 'main', '--head', 'pr/risky', '--pr', '7', '--title', title, '--author', author,
      '--json', '--wait', '--until-blocked',
    ], env, { timeoutMs: 300_000 });
    assert.equal(start.code, 3, `${start.stdout}\n${start.stderr}`);
    workflowId = (JSON.parse(start.stdout.split('\n')[0]!) as { workflowId: string }).workflowId;

    const reject = await runCli(['reject', workflowId, '--by', 'dave', '--reason', 'not this week'], env);
    assert.equal(reject.code, 0, `${reject.stdout}\n${reject.stderr}`);
    for (let i = 0; i < 120; i++) {
      const status = await runCli(['status', workflowId, '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      if ((JSON.parse(status.stdout) as { outcome: string | null }).outcome === 'rejected') break;
      await sleep(500);
    }
    const status = await runCli(['status', workflowId, '--json'], env);
    assert.equal((JSON.parse(status.stdout) as { outcome: string | null }).outcome, 'rejected', status.stdout);
  });

  it('stores every payload encrypted: no title, author or repo path in the raw history', async () => {
    const shown = await runProgram(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json']);
    assert.equal(shown.code, 0, shown.stderr);
    rawText = shown.stdout;
    rawHistory = JSON.parse(rawText) as { events: Record<string, unknown>[] };

    const found = payloadsIn(rawHistory);
    const encrypted = found.filter((item) => fromBase64(item.payload.metadata?.encoding) === 'binary/encrypted');
    const eventTypes = new Set(encrypted.map((item) => Object.keys(rawHistory.events[Number(item.path.split('/')[2])] ?? {}).find((k) => k.endsWith('Attributes'))));
    for (const kind of ['workflowExecutionStartedEventAttributes', 'activityTaskScheduledEventAttributes', 'activityTaskCompletedEventAttributes',
      'markerRecordedEventAttributes', 'workflowExecutionSignaledEventAttributes', 'workflowExecutionCompletedEventAttributes']) {
      assert.ok(eventTypes.has(kind), `an encrypted payload in ${kind} (found in ${[...eventTypes].join(', ')})`);
    }
    const inClear = found.filter((item) => !plainByDesign(item, rawHistory) && !encrypted.includes(item));
    assert.deepEqual(inClear.map((item) => `${item.path}: ${fromBase64(item.payload.metadata?.encoding)} ${fromBase64(item.payload.data).slice(0, 80)}`), []);
    for (const item of encrypted) {
      assert.equal(fromBase64(item.payload.metadata?.['encryption-key-id']), encryptionKeyId(Buffer.from(key, 'base64')));
      assert.equal(fromBase64(item.payload.metadata?.['encryption-cipher']), 'AES-256-GCM');
    }

    // The author is a search attribute (PrAuthor), stored in clear by design for `list`; nowhere else.
    const withoutSearchAttributes = JSON.stringify(rawHistory, (name, value: unknown) => (name === 'searchAttributes' ? undefined : value));
    const decodedData = found.filter((item) => !item.path.includes('/searchAttributes/')).map((item) => fromBase64(item.payload.data)).join('\n');
    for (const secret of [title, author, repoPath]) {
      assert.ok(!withoutSearchAttributes.includes(secret), `${secret} shows in the raw history`);
      assert.ok(!decodedData.includes(secret), `${secret} shows in a payload's data`);
    }
    assert.ok(!rawText.includes(title) && !rawText.includes(repoPath));
  });

  it('status and audit still read the run with the key, and the audit chain verifies', async () => {
    const status = await runCli(['status', workflowId, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout) as { outcome: string; gates: string[] };
    assert.equal(view.outcome, 'rejected');
    assert.ok(view.gates.includes('schema_change'), status.stdout);

    const audit = await runCli(['audit', workflowId, '--format', 'json'], env);
    assert.equal(audit.code, 0, audit.stderr);
    const trail = JSON.parse(audit.stdout) as {
      chain: { ok: boolean }; input: { title: string; author: string } | null; records: { decision: string }[]; signals: { name: string; input: { by?: string } }[];
    };
    assert.equal(trail.chain.ok, true);
    assert.equal(trail.input?.title, title, 'the workflow input was decrypted');
    assert.equal(trail.input?.author, author);
    assert.ok(trail.records.length >= 4, audit.stdout);
    assert.ok(trail.signals.some((signal) => signal.name === 'reject' && signal.input.by === 'dave'), JSON.stringify(trail.signals));

    const withoutKey = await runCli(['audit', workflowId], { ...env, PRPILOT_ENCRYPTION_KEY: '' });
    assert.equal(withoutKey.code, 1);
    assert.match(withoutKey.stderr, /encrypted \(key id [0-9a-f]{16}\): set PRPILOT_ENCRYPTION_KEY/);
  });

  it('codec-server decodes a payload from the raw history for the token holder only', async () => {
    codecServer = spawn(PRPILOT, ['codec-server', '--port', '0', '--origin', server.uiUrl], {
      env: { ...process.env, ...env, PRPILOT_CODEC_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    codecServer.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    codecServer.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    for (let i = 0; i < 240 && !/listening on http/.test(output); i++) await sleep(250);
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    assert.ok(url, output);

    const started = payloadsIn(rawHistory.events[0]).find((item) => item.path.includes('/input/'));
    assert.ok(started);
    const body = JSON.stringify({ payloads: [started.payload] });
    const denied = await fetch(`${url}/decode`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' } });
    assert.equal(denied.status, 401);
    assert.ok(!(await denied.text()).includes(title));

    const decoded = await fetch(`${url}/decode`, {
      method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Authorization: `Bearer ${token}`, Origin: server.uiUrl },
    });
    assert.equal(decoded.status, 200);
    assert.equal(decoded.headers.get('access-control-allow-origin'), server.uiUrl);
    const [payload] = ((await decoded.json()) as { payloads: JsonPayload[] }).payloads;
    assert.equal(fromBase64(payload?.metadata?.encoding), 'json/plain');
    const input = JSON.parse(fromBase64(payload?.data)) as { title: string; author: string; repo: { path: string } };
    assert.deepEqual([input.title, input.author, input.repo.path], [title, author, repoPath]);

    // The temporal CLI decodes the whole history through it, as the UI does.
    const codecFlags = ['--codec-endpoint', url, '--codec-auth', `Bearer ${token}`];
    const shown = await runProgram(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json', ...codecFlags]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(Buffer.from('binary/encrypted').toString('base64')), 'no payload left encrypted');
    assert.ok(payloadsIn(JSON.parse(shown.stdout)).some((item) => fromBase64(item.payload.data).includes(title)));

    const exited = new Promise<number | null>((resolve) => codecServer!.once('exit', (code) => resolve(code)));
    codecServer.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /stopped \(SIGTERM\)/);
  });

  it('leaves no deploy process behind', async () => {
    worker?.shutdown();
    await workerRun;
    await deps?.target.stopAll();
    assert.deepEqual(processesMentioning(home), []);
  });
});
