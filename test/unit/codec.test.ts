import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, encodeToPayloads, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { EnvError } from '../../config/env.js';
import {
  CIPHER, ENCRYPTED_ENCODING, EncryptionCodec, createKeyRing, encryptionKeyId, keyRingFromEnv, PayloadDecryptionError,
} from '../../workers/codec.js';
import { dataConverterFromEnv } from '../../workers/dataConverter.js';
import { decodeHistoryPayloads } from '../../cli/audit/decodeHistory.js';
import { auditFromHistory, workflowInput } from '../../cli/audit/trail.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const b64 = (bytes: Buffer) => bytes.toString('base64');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const secret = { title: 'Add card vault for ACME', author: 'mallory', diffSha256: 'f'.repeat(64) };
const plain = (): Payload => defaultPayloadConverter.toPayload(secret);
const codecWith = (current: Buffer, old: Buffer[] = []) => new EncryptionCodec(createKeyRing(current, old));

async function encodeOne(codec: EncryptionCodec, payload: Payload): Promise<Payload> {
  const [encoded] = await codec.encode([payload]);
  assert.ok(encoded);
  return encoded;
}

async function decodeOne(codec: EncryptionCodec, payload: Payload): Promise<Payload> {
  const [decoded] = await codec.decode([payload]);
  assert.ok(decoded);
  return decoded;
}

describe('EncryptionCodec', () => {
  it('round-trips a payload, metadata included', async () => {
    const codec = codecWith(keyA);
    const original = plain();
    const decoded = await decodeOne(codec, await encodeOne(codec, original));
    assert.equal(text(decoded.metadata?.encoding), 'json/plain');
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), secret);
  });

  it('marks the encoded payload with the encoding, the key id and the cipher, and hides the content', async () => {
    const codec = codecWith(keyA);
    const encoded = await encodeOne(codec, plain());
    assert.deepEqual(Object.keys(encoded.metadata ?? {}).sort(), ['encoding', 'encryption-cipher', 'encryption-key-id']);
    assert.equal(text(encoded.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.['encryption-key-id']), encryptionKeyId(keyA));
    assert.equal(text(encoded.metadata?.['encryption-cipher']), CIPHER);
    assert.match(encryptionKeyId(keyA), /^[0-9a-f]{16}$/);
    assert.notEqual(encryptionKeyId(keyA), encryptionKeyId(keyB));
    for (const needle of [secret.title, secret.author, 'json/plain']) {
      assert.ok(!text(encoded.data).includes(needle), `${needle} must not show in the ciphertext`);
    }
    const again = await encodeOne(codec, plain());
    assert.notDeepEqual(Buffer.from(again.data ?? []).subarray(0, 12), Buffer.from(encoded.data ?? []).subarray(0, 12), 'a fresh IV for every payload');
  });

  it('fails with the key id when the payload was encrypted with a key it does not have', async () => {
    const encoded = await encodeOne(codecWith(keyA), plain());
    await assert.rejects(decodeOne(codecWith(keyB), encoded), (error: Error) => {
      assert.ok(error instanceof PayloadDecryptionError);
      assert.match(error.message, new RegExp(`key id ${encryptionKeyId(keyA)}`));
      assert.match(error.message, /PRPILOT_ENCRYPTION_OLD_KEYS/);
      return true;
    });
  });

  it('rotates: the new key encrypts, an old key in PRPILOT_ENCRYPTION_OLD_KEYS still decrypts', async () => {
    const before = keyRingFromEnv({ PRPILOT_ENCRYPTION_KEY: b64(keyA) });
    assert.ok(before);
    const written = await encodeOne(new EncryptionCodec(before), plain());

    const rotated = keyRingFromEnv({ PRPILOT_ENCRYPTION_KEY: b64(keyB), PRPILOT_ENCRYPTION_OLD_KEYS: ` ${b64(randomBytes(32))}, ${b64(keyA)} ` });
    assert.ok(rotated);
    const codec = new EncryptionCodec(rotated);
    assert.deepEqual(defaultPayloadConverter.fromPayload(await decodeOne(codec, written)), secret);
    assert.equal(text((await encodeOne(codec, plain())).metadata?.['encryption-key-id']), encryptionKeyId(keyB));

    const withoutOld = keyRingFromEnv({ PRPILOT_ENCRYPTION_KEY: b64(keyB) });
    assert.ok(withoutOld);
    await assert.rejects(decodeOne(new EncryptionCodec(withoutOld), written), new RegExp(`encrypted with key id ${encryptionKeyId(keyA)}`));
  });

  it('refuses a tampered ciphertext, tag or key id (GCM authentication)', async () => {
    const codec = codecWith(keyA, [keyB]);
    const encoded = await encodeOne(codec, plain());
    const data = Buffer.from(encoded.data ?? []);
    for (const index of [12, data.length - 1]) {
      const altered = Buffer.from(data);
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      await assert.rejects(decodeOne(codec, { ...encoded, data: altered }), /failed authentication/);
    }
    const otherKeyId = { ...encoded, metadata: { ...encoded.metadata, 'encryption-key-id': Buffer.from(encryptionKeyId(keyB)) } };
    await assert.rejects(decodeOne(codec, otherKeyId), /failed authentication/);
    await assert.rejects(decodeOne(codec, { ...encoded, data: data.subarray(0, 20) }), /too short/);
    const otherCipher = { ...encoded, metadata: { ...encoded.metadata, 'encryption-cipher': Buffer.from('AES-128-CBC') } };
    await assert.rejects(decodeOne(codec, otherCipher), /only AES-256-GCM/);
  });

  it('passes unencrypted payloads through decode unchanged (histories from before encryption)', async () => {
    const codec = codecWith(keyA);
    const original = plain();
    assert.equal(await decodeOne(codec, original), original);
  });

  it('works inside the SDK data converter (codecs after the payload converter)', async () => {
    const dataConverter = dataConverterFromEnv({ PRPILOT_ENCRYPTION_KEY: b64(keyA) });
    assert.ok(dataConverter);
    const loaded = loadDataConverter(dataConverter);
    const payloads = await encodeToPayloads(loaded, secret, undefined, 'text');
    assert.equal(payloads?.length, 3);
    for (const payload of payloads ?? []) assert.equal(text(payload.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.deepEqual(await decodeFromPayloadsAtIndex(loaded, 0, payloads), secret);
    assert.equal(await decodeFromPayloadsAtIndex(loaded, 1, payloads), undefined);
    assert.equal(await decodeFromPayloadsAtIndex(loaded, 2, payloads), 'text');
  });
});

describe('encryption keys from the environment', () => {
  it('is off without a key', () => {
    assert.equal(keyRingFromEnv({}), null);
    assert.equal(keyRingFromEnv({ PRPILOT_ENCRYPTION_KEY: '', PRPILOT_ENCRYPTION_OLD_KEYS: ' , ' }), null);
    assert.equal(dataConverterFromEnv({}), undefined);
  });

  const rejects = (env: { PRPILOT_ENCRYPTION_KEY?: string; PRPILOT_ENCRYPTION_OLD_KEYS?: string }, message: RegExp, material: string) => {
    assert.throws(() => keyRingFromEnv(env), (error: Error) => {
      assert.ok(error instanceof EnvError, `${error.name}: ${error.message}`);
      assert.match(error.message, message);
      assert.ok(!error.message.includes(material), 'no key material in the message');
      return true;
    });
  };

  it('names the variable and the problem, never the value', () => {
    const short = b64(randomBytes(16));
    rejects({ PRPILOT_ENCRYPTION_KEY: short }, /^PRPILOT_ENCRYPTION_KEY must be the base64 of exactly 32 bytes \(it decodes to 16\)/, short);
    rejects({ PRPILOT_ENCRYPTION_KEY: 'correct horse battery staple!' }, /^PRPILOT_ENCRYPTION_KEY is not valid base64/, 'horse');
    const long = b64(randomBytes(48));
    rejects({ PRPILOT_ENCRYPTION_KEY: b64(keyA), PRPILOT_ENCRYPTION_OLD_KEYS: `${b64(keyB)},${long}` }, /^PRPILOT_ENCRYPTION_OLD_KEYS \(entry 2\) must be the base64 of exactly 32 bytes \(it decodes to 48\)/, long);
    rejects({ PRPILOT_ENCRYPTION_OLD_KEYS: b64(keyB) }, /PRPILOT_ENCRYPTION_OLD_KEYS is set but PRPILOT_ENCRYPTION_KEY is not/, b64(keyB));
  });

  it('derives the key id from the key, the same in every process', () => {
    const ring = keyRingFromEnv({ PRPILOT_ENCRYPTION_KEY: b64(keyA), PRPILOT_ENCRYPTION_OLD_KEYS: b64(keyB) });
    assert.equal(ring?.current.id, encryptionKeyId(Buffer.from(b64(keyA), 'base64')));
    assert.deepEqual([...(ring?.byId.keys() ?? [])], [encryptionKeyId(keyA), encryptionKeyId(keyB)]);
  });
});

describe('decodeHistoryPayloads (what `audit` reads from an encrypted history)', () => {
  const storedHistory = async () => historyFromJSON(JSON.parse(await readFile(new URL('../histories/demo-risky.json', import.meta.url), 'utf8')));

  /** Encrypts every payload in the history, as a worker and client with the key would have written it. */
  async function encryptAll(value: unknown, codec: EncryptionCodec): Promise<unknown> {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
    const payload = value as Payload;
    if (payload.metadata?.encoding instanceof Uint8Array) return encodeOne(codec, payload);
    const container = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(container)) container[key] = await encryptAll(child, codec);
    return value;
  }

  it('decrypts every payload, so the audit trail reads the same as from the plain history', async () => {
    const expected = auditFromHistory(await storedHistory());
    assert.ok(expected.records.length > 3 && expected.chain.ok);
    const codec = codecWith(keyA);
    const encrypted = await storedHistory();
    await encryptAll(encrypted, codec);
    assert.throws(() => auditFromHistory(encrypted), 'the encrypted history is unreadable as it is');

    const decoded = await decodeHistoryPayloads(encrypted, [codec]);
    assert.deepEqual(auditFromHistory(decoded), expected);
    assert.deepEqual(workflowInput(decoded), workflowInput(await storedHistory()));
  });

  it('leaves a plain history readable, and says which key is missing for an encrypted one', async () => {
    const plainHistory = await decodeHistoryPayloads(await storedHistory(), [codecWith(keyB)]);
    assert.deepEqual(auditFromHistory(plainHistory), auditFromHistory(await storedHistory()));

    const encrypted = await storedHistory();
    await encryptAll(encrypted, codecWith(keyA));
    await assert.rejects(decodeHistoryPayloads(encrypted, []), new RegExp(`encrypted \\(key id ${encryptionKeyId(keyA)}\\): set PRPILOT_ENCRYPTION_KEY`));
    await assert.rejects(decodeHistoryPayloads(encrypted, [codecWith(keyB)]), new RegExp(`key id ${encryptionKeyId(keyA)}`));
  });
});
