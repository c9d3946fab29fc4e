import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may use the codec server when PRPILOT_CODEC_TOKEN is set: a request with
 * `Authorization: Bearer <token>` (the temporal CLI's --codec-auth, scripts), or a browser that signed
 * in at /login and sends the session cookie cross-origin (the UI's "Include cross-origin credentials").
 */
export const SESSION_COOKIE = 'prpilot_codec_session';
export const MIN_TOKEN_CHARS = 16;
const SESSION_HOURS = 12;

/** Compares by sha256 digests, so neither the content nor the length of the secret leaks through timing. */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie carries a value derived from the token, never the token itself. */
function sessionValue(token: string): string {
  return createHmac('sha256', token).update('prpilot codec-server session').digest('base64url');
}

function bearerOf(request: IncomingMessage): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1]?.trim() ?? null;
}

function cookieOf(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

export function isAuthorized(request: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const bearer = bearerOf(request);
  if (bearer !== null && secretsEqual(bearer, token)) return true;
  const session = cookieOf(request, SESSION_COOKIE);
  return session !== null && secretsEqual(session, sessionValue(token));
}

/** SameSite=Strict: sent by the UI on the same host (another port is the same site), never from other sites. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_HOURS * 3600}`;
}

export function loginPage(message: string): string {
  return [
    '<!doctype html><meta charset="utf-8"><title>prpilot codec server</title>',
    '<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">',
    '<h1>prpilot codec server</h1>',
    `<p>${message}</p>`,
    '<form method="post" action="login"><label>Token (PRPILOT_CODEC_TOKEN) <input type="password" name="token" autofocus></label> ',
    '<button>Sign in</button></form>',
    '<p>Then, in the Temporal UI\'s codec server settings, turn on "Include cross-origin credentials".</p>',
    '</body>',
  ].join('\n');
}
