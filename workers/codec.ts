import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { EnvError } from '../config/env.js';

/**
 * Payload encryption: AES-256-GCM over the whole original Payload proto (its metadata included), so
 * the Temporal server stores neither the data nor how it was serialized. Codecs run outside the
 * workflow sandbox (client, worker, codec server), so node:crypto is fine here.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const CIPHER = 'AES-256-GCM';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const KEY_VARIABLE = 'PRPILOT_ENCRYPTION_KEY';
export const OLD_KEYS_VARIABLE = 'PRPILOT_ENCRYPTION_OLD_KEYS';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export interface EncryptionKey {
  id: string;
  bytes: Buffer;
}

/** The current key encrypts; every key in the ring (current and old) decrypts, found by its id. */
export interface KeyRing {
  current: EncryptionKey;
  byId: ReadonlyMap<string, EncryptionKey>;
}

/** A payload that cannot be decrypted. Never answered with the payload undecoded. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Derived from the key itself, so nobody types ids by hand and rotation needs nothing but the keys. */
export function encryptionKeyId(bytes: Uint8Array): string {
  return createHash('sha256').update('prpilot-key-id').update(bytes).digest('hex').slice(0, 16);
}

export function createKeyRing(current: Uint8Array, old: Uint8Array[] = []): KeyRing {
  const toKey = (bytes: Uint8Array): EncryptionKey => {
    if (bytes.length !== KEY_BYTES) throw new Error(`an AES-256 key has ${KEY_BYTES} bytes (got ${bytes.length})`);
    return { id: encryptionKeyId(bytes), bytes: Buffer.from(bytes) };
  };
  const currentKey = toKey(current);
  const byId = new Map([currentKey, ...old.map(toKey)].map((key) => [key.id, key]));
  return { current: currentKey, byId };
}

/**
 * One key from the environment, as written by `openssl rand -base64 32`. The message names the
 * variable and what is wrong, never the value.
 */
export function parseBase64Key(value: string, variable: string): Buffer {
  const trimmed = value.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.toString('base64') !== trimmed) {
    throw new EnvError(`${variable} is not valid base64 (padded, as \`openssl rand -base64 32\` prints it)`);
  }
  if (bytes.length !== KEY_BYTES) {
    throw new EnvError(`${variable} must be the base64 of exactly ${KEY_BYTES} bytes (it decodes to ${bytes.length}); generate a key with \`openssl rand -base64 32\``);
  }
  return bytes;
}

/** The key ring from PRPILOT_ENCRYPTION_KEY and PRPILOT_ENCRYPTION_OLD_KEYS, or null when no key is set. */
export function keyRingFromEnv(env: { PRPILOT_ENCRYPTION_KEY?: string; PRPILOT_ENCRYPTION_OLD_KEYS?: string }): KeyRing | null {
  const oldValues = (env.PRPILOT_ENCRYPTION_OLD_KEYS ?? '').split(',').map((value) => value.trim()).filter((value) => value !== '');
  if (!env.PRPILOT_ENCRYPTION_KEY) {
    if (oldValues.length > 0) throw new EnvError(`${OLD_KEYS_VARIABLE} is set but ${KEY_VARIABLE} is not: old keys only decrypt, set the current key too`);
    return null;
  }
  const current = parseBase64Key(env.PRPILOT_ENCRYPTION_KEY, KEY_VARIABLE);
  const old = oldValues.map((value, index) => parseBase64Key(value, `${OLD_KEYS_VARIABLE} (entry ${index + 1})`));
  return createKeyRing(current, old);
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

/** The key id an encrypted payload names, or undefined for a plain payload. */
export function payloadKeyId(payload: Payload): string | undefined {
  return isEncrypted(payload) ? text(payload.metadata?.[KEY_ID_METADATA]) : undefined;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {}

  get currentKeyId(): string {
    return this.keys.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /** Plain payloads pass through unchanged: histories written before encryption stay readable. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, bytes } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', bytes, iv);
    const plaintext = ProtoPayload.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(id),
        [CIPHER_METADATA]: utf8(CIPHER),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = payloadKeyId(payload);
    const cipherName = text(payload.metadata?.[CIPHER_METADATA]);
    if (cipherName !== CIPHER) {
      throw new PayloadDecryptionError(`encrypted payload uses cipher ${JSON.stringify(cipherName ?? null)}; prpilot decrypts only ${CIPHER}`);
    }
    if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.keys.byId.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload is encrypted with key id ${keyId}, which this process does not have (${KEY_VARIABLE} has id ${this.keys.current.id}; ` +
        `known ids: ${[...this.keys.byId.keys()].join(', ')}); add the key it was written with to ${OLD_KEYS_VARIABLE}`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id ${keyId}) is too short to be ${CIPHER} data`);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload (key id ${keyId}) failed authentication: it was altered after encryption`);
    }
    return ProtoPayload.decode(plaintext);
  }
}
