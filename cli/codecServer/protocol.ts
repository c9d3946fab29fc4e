import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/**
 * Temporal's remote codec protocol: POST …/encode and POST …/decode with a Payloads message in proto3
 * JSON (bytes as base64, metadata a map of base64 strings). Only the last path segment counts, so the
 * endpoint can be mounted under a prefix (e.g. /default/decode).
 */
export const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
export type JsonPayload = z.infer<typeof jsonPayloadSchema>;

export const payloadsBodySchema = z.object({ payloads: z.array(jsonPayloadSchema) });

export type CodecAction = 'encode' | 'decode';

/** The action a request path names by its last segment, or null for any other path. */
export function actionOf(pathname: string): CodecAction | null {
  const last = pathname.replace(/\/+$/, '').split('/').pop();
  return last === 'encode' || last === 'decode' ? last : null;
}

export function payloadFromJson(json: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(json.data ?? '', 'base64'),
  };
}

export function payloadToJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}
