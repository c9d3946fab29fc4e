import type { IncomingMessage } from 'node:http';

/** GitHub caps a delivery's payload at 25 MiB. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads the request body, keeping at most `maxBytes` in memory: past that it stops collecting and
 * reports `too_large` at once, while the rest is discarded as it arrives (see discardRest).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle({ ok: true, body: Buffer.concat(chunks) }));
    req.on('error', () => settle({ ok: false, reason: 'aborted' }));
    req.on('close', () => settle({ ok: false, reason: 'aborted' }));
  });
}

/**
 * After an early answer (413), lets the client finish sending so it can read that answer, throwing the
 * bytes away; a client still sending after `graceMs` is cut off.
 */
export function discardRest(req: IncomingMessage, graceMs = 2_000): void {
  if (req.readableEnded) return;
  const timer = setTimeout(() => req.socket.destroy(), graceMs);
  timer.unref();
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}
