import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from '../../workers/codec.js';
import { isAuthorized, loginPage, secretsEqual, sessionCookie } from './auth.js';
import { actionOf, payloadFromJson, payloadsBodySchema, payloadToJson, type CodecAction } from './protocol.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins (scheme://host:port) allowed to call it: the Temporal UI's. */
  origins: string[];
  /** Required as a bearer token (or a /login session) when set. */
  token: string | null;
  log: (line: string) => void;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Answer now; the rest is drained and dropped, and the connection closes after the answer.
        request.removeAllListeners('data');
        request.resume();
        reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function parsePayloads(body: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const parsed = payloadsBodySchema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, `body is not {"payloads": [...]} in proto3 JSON: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.payloads.map(payloadFromJson);
}

function send(response: ServerResponse, status: number, body: string, contentType = 'application/json'): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(body);
}

function sendError(response: ServerResponse, status: number, message: string): void {
  send(response, status, JSON.stringify({ error: message }));
}

/** CORS for the allowed origins only, with credentials (the UI may send the session cookie). */
function applyCors(request: IncomingMessage, response: ServerResponse, origins: Set<string>): boolean {
  response.setHeader('Vary', 'Origin');
  const origin = request.headers.origin;
  if (!origin || !origins.has(origin)) return false;
  response.setHeader('Access-Control-Allow-Origin', origin);
  response.setHeader('Access-Control-Allow-Credentials', 'true');
  return true;
}

export function createCodecServer(options: CodecServerOptions): Server {
  const origins = new Set(options.origins);

  async function codecRequest(action: CodecAction, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isAuthorized(request, options.token)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="prpilot codec-server"');
      throw new HttpError(401, 'a valid Authorization: Bearer <PRPILOT_CODEC_TOKEN> header (or a /login session) is required');
    }
    const payloads = parsePayloads(await readBody(request));
    let result;
    try {
      result = action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    } catch (error) {
      if (error instanceof PayloadDecryptionError) throw new HttpError(400, error.message);
      throw error;
    }
    const namespace = request.headers['x-namespace'];
    options.log(`${action}: ${payloads.length} payload(s)${typeof namespace === 'string' ? ` (namespace ${namespace})` : ''}`);
    send(response, 200, JSON.stringify({ payloads: result.map(payloadToJson) }));
  }

  async function loginRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.token === null) return send(response, 200, loginPage('No token is required: this server decodes for anyone who can reach it.'), 'text/html');
    if (request.method === 'GET') return send(response, 200, loginPage('Sign in to let your browser decode payloads.'), 'text/html');
    const token = new URLSearchParams((await readBody(request)).toString('utf8')).get('token') ?? '';
    if (!secretsEqual(token, options.token)) return send(response, 401, loginPage('Wrong token.'), 'text/html');
    response.setHeader('Set-Cookie', sessionCookie(options.token));
    send(response, 200, loginPage('Signed in: this browser may now decode payloads.'), 'text/html');
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const pathname = new URL(request.url ?? '/', 'http://codec.invalid').pathname;
    const action = actionOf(pathname);
    const isLogin = pathname.replace(/\/+$/, '').endsWith('/login');
    if (!action && !isLogin) throw new HttpError(404, `no such endpoint ${pathname}: use POST …/decode or …/encode`);
    const corsAllowed = applyCors(request, response, origins);
    if (request.method === 'OPTIONS' && action) {
      if (!corsAllowed) throw new HttpError(403, `origin ${request.headers.origin ?? '(none)'} is not allowed (see --origin)`);
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      response.end();
      return;
    }
    if (isLogin) {
      if (request.method !== 'GET' && request.method !== 'POST') {
        response.setHeader('Allow', 'GET, POST');
        throw new HttpError(405, `${request.method} is not allowed on ${pathname}`);
      }
      return loginRequest(request, response);
    }
    if (request.method !== 'POST' || !action) {
      response.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, `${request.method} is not allowed on ${pathname}: use POST`);
    }
    return codecRequest(action, request, response);
  }

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof HttpError) {
        if (error.status === 413) response.setHeader('Connection', 'close');
        return sendError(response, error.status, error.message);
      }
      options.log(`error: ${error instanceof Error ? error.message : String(error)}`);
      sendError(response, 500, 'internal error (see the codec server log)');
    });
  });
}

/** Listens on host:port (port 0 picks a free one) and resolves with the URL it serves. */
export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${hostPart}:${address.port}`);
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
