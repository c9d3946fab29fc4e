/**
 * The codec server's HTTP contract (Temporal's remote codec protocol, CORS for the UI, the token),
 * served in-process on a free port and called with real HTTP requests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { createKeyRing, EncryptionCodec, encryptionKeyId } from '../../workers/codec.js';
import { close, createCodecServer, listen, MAX_BODY_BYTES } from '../../cli/codecServer/server.js';
import { payloadFromJson, payloadToJson, type JsonPayload } from '../../cli/codecServer/protocol.js';

const UI = 'http://localhost:8233';
const TOKEN = 'codec-token-0123456789abcdef';
const key = randomBytes(32);
const codec = new EncryptionCodec(createKeyRing(key));
const value = { title: 'Rotate the payments key', author: 'alice' };

describe('codec server', () => {
  let server: Server;
  let url = '';
  const logged: string[] = [];

  before(async () => {
    server = createCodecServer({ codec, origins: [UI], token: TOKEN, log: (line) => logged.push(line) });
    url = await listen(server, '127.0.0.1', 0);
  });
  after(async () => {
    await close(server);
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, ...headers } });
  const encryptedJson = async (): Promise<JsonPayload> => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    assert.ok(encoded);
    return payloadToJson(encoded);
  };

  it('decodes proto3-JSON payloads (under any path prefix) and encodes them back', async () => {
    const response = await post('/default/decode', JSON.stringify({ payloads: [await encryptedJson()] }), { 'X-Namespace': 'default' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    assert.equal(payloads.length, 1);
    assert.equal(Buffer.from(payloads[0]?.metadata?.encoding ?? '', 'base64').toString(), 'json/plain');
    assert.deepEqual(defaultPayloadConverter.fromPayload(payloadFromJson(payloads[0]!)), value);
    assert.ok(logged.some((line) => line === 'decode: 1 payload(s) (namespace default)'));

    const encoded = await post('/encode', JSON.stringify({ payloads }));
    assert.equal(encoded.status, 200);
    const [again] = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads;
    assert.equal(Buffer.from(again?.metadata?.['encryption-key-id'] ?? '', 'base64').toString(), encryptionKeyId(key));
    const [roundTrip] = await codec.decode([payloadFromJson(again!)]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(roundTrip!), value);
  });

  it('answers only with the token: 401 without it or with a wrong one', async () => {
    const body = JSON.stringify({ payloads: [await encryptedJson()] });
    for (const authorization of ['', 'Bearer wrong-token-0123456789abcdef', `Basic ${TOKEN}`, TOKEN]) {
      const response = await post('/decode', body, { Authorization: authorization });
      assert.equal(response.status, 401, authorization);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.ok(!(await response.text()).includes(value.title));
    }
  });

  it('lets a browser sign in at /login and decode with the session cookie', async () => {
    const page = await fetch(`${url}/login`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"/);
    const wrong = await fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);

    const login = await fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(TOKEN), 'the cookie does not carry the token itself');
    const session = cookie.split(';')[0] ?? '';
    const body = JSON.stringify({ payloads: [await encryptedJson()] });
    assert.equal((await post('/decode', body, { Authorization: '', Cookie: session, Origin: UI })).status, 200);
    assert.equal((await post('/decode', body, { Authorization: '', Cookie: `${session}x` })).status, 401);
  });

  it('allows the UI origin with credentials, and answers its preflight', async () => {
    const preflight = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'X-Namespace, Content-Type, Authorization');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);

    const allowed = await post('/decode', JSON.stringify({ payloads: [] }), { Origin: UI });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), UI);

    const evil = 'http://evil.example';
    const refused = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { Origin: evil, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    const fromEvil = await post('/decode', JSON.stringify({ payloads: [] }), { Origin: evil });
    assert.equal(fromEvil.headers.get('access-control-allow-origin'), null, 'a browser on another origin cannot read the answer');
  });

  it('says what is wrong: 400 bad JSON or shape or key, 413 too big, 405 wrong method, 404 unknown path', async () => {
    assert.equal((await post('/decode', '{not json')).status, 400);
    const shape = await post('/decode', JSON.stringify({ payload: [] }));
    assert.equal(shape.status, 400);
    assert.match(((await shape.json()) as { error: string }).error, /payloads/);

    const foreign = new EncryptionCodec(createKeyRing(randomBytes(32)));
    const [other] = await foreign.encode([defaultPayloadConverter.toPayload(value)]);
    const unknownKey = await post('/decode', JSON.stringify({ payloads: [payloadToJson(other!)] }));
    assert.equal(unknownKey.status, 400);
    assert.match(((await unknownKey.json()) as { error: string }).error, new RegExp(`key id ${foreign.currentKeyId}`));

    const big = await post('/decode', JSON.stringify({ payloads: [{ data: 'A'.repeat(MAX_BODY_BYTES) }] }));
    assert.equal(big.status, 413);

    const get = await fetch(`${url}/decode`);
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow') ?? '', /POST/);
    assert.equal((await post('/decrypt', '{}')).status, 404);
  });
});
