import type { PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { KEY_VARIABLE, payloadKeyId, PayloadDecryptionError } from '../../workers/codec.js';

type Payload = temporal.api.common.v1.IPayload;

function isPayload(value: object): value is Payload {
  const metadata = (value as Payload).metadata;
  return typeof metadata === 'object' && metadata !== null && metadata.encoding instanceof Uint8Array;
}

async function decodePayload(payload: Payload, codecs: PayloadCodec[]): Promise<Payload> {
  let decoded = [payload];
  // Codecs encode in array order, so they decode in reverse (as the SDK does).
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  const [first] = decoded;
  if (!first) throw new Error('a payload codec returned no payload');
  const keyId = payloadKeyId(first);
  if (keyId !== undefined) {
    throw new PayloadDecryptionError(`the history's payloads are encrypted (key id ${keyId}): set ${KEY_VARIABLE} (and the old keys) to read them`);
  }
  return first;
}

async function decodeIn(value: unknown, codecs: PayloadCodec[]): Promise<unknown> {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (isPayload(value)) return decodePayload(value, codecs);
  const container = value as Record<string, unknown>;
  for (const [key, child] of Object.entries(container)) container[key] = await decodeIn(child, codecs);
  return value;
}

/**
 * A fetched history carries its payloads as the server stores them (encrypted when
 * PRPILOT_ENCRYPTION_KEY is set); whoever reads values out of it decodes them first, here, with the
 * client's codecs. Every payload in every event is decoded in place; plain payloads pass through, and
 * a payload left encrypted (no key configured) is a PayloadDecryptionError, not a parse error later.
 */
export async function decodeHistoryPayloads<H extends temporal.api.history.v1.IHistory>(history: H, codecs: PayloadCodec[]): Promise<H> {
  await decodeIn(history, codecs);
  return history;
}
