import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** `X-Hub-Signature-256` of `body` under `secret`, as GitHub computes it. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is GitHub's HMAC-SHA256 of exactly these bytes; compared in constant time. */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const match = header ? SIGNATURE.exec(header) : null;
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
