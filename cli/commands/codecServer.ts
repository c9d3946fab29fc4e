import { readEnv } from '../../config/env.js';
import { encryptionCodecFromEnv } from '../../workers/dataConverter.js';
import { KEY_VARIABLE } from '../../workers/codec.js';
import { helpOption, parseCommandArgs } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { MIN_TOKEN_CHARS } from '../codecServer/auth.js';
import { close, createCodecServer, listen } from '../codecServer/server.js';
import type { Command } from './command.js';

const spec = {
  name: 'codec-server',
  summary: 'decodes encrypted payloads for the Temporal UI and CLI (foreground; Ctrl-C stops it)',
  usage: 'prpilot codec-server [--port 8888] [--host 127.0.0.1] [--origin URL ...]',
  details: [
    'Serves Temporal\'s remote codec protocol (POST /decode and /encode) with the keys in PRPILOT_ENCRYPTION_KEY',
    'and PRPILOT_ENCRYPTION_OLD_KEYS. --origin (repeatable) lists the UI origins allowed by CORS; the default is',
    'the UI at PRPILOT_UI_URL (http://localhost:8233 next to a local server). With PRPILOT_CODEC_TOKEN set, only',
    'requests with `Authorization: Bearer <token>` or a browser session from /login are answered; without it the',
    'server listens only on a loopback address.',
    '  temporal server start-dev --ui-codec-endpoint http://localhost:8888',
    '  temporal workflow show -w ID --codec-endpoint http://localhost:8888 --codec-auth "Bearer $PRPILOT_CODEC_TOKEN"',
  ].join('\n'),
  options: { ...helpOption, port: { type: 'string' }, host: { type: 'string' }, origin: { type: 'string', multiple: true } },
} as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function portOf(raw: string | undefined): number {
  if (raw === undefined) return 8888;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new UsageError(`--port must be a port number from 0 (any free port) to 65535 (got ${JSON.stringify(raw)})`);
  return port;
}

function originOf(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} must be a URL such as http://localhost:8233 (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${source} must be an http(s) URL (got ${JSON.stringify(raw)})`);
  return url.origin;
}

/** The UI is reached as localhost or 127.0.0.1, whichever was typed: by default allow both. */
function withLoopbackTwin(origin: string): string[] {
  const url = new URL(origin);
  const twin = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname === '127.0.0.1' ? 'localhost' : null;
  if (!twin) return [origin];
  url.hostname = twin;
  return [origin, url.origin];
}

export const codecServerCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const port = portOf(values.port);
    const host = values.host ?? '127.0.0.1';
    const env = readEnv();
    const codec = encryptionCodecFromEnv(env);
    if (!codec) throw new UsageError(`${KEY_VARIABLE} is not set: the codec server decodes with the workers' key (base64 of 32 bytes)`);
    const token = env.PRPILOT_CODEC_TOKEN ?? null;
    if (token !== null && token.length < MIN_TOKEN_CHARS) {
      throw new UsageError(`PRPILOT_CODEC_TOKEN must have at least ${MIN_TOKEN_CHARS} characters; generate one with \`openssl rand -hex 24\``);
    }
    if (token === null && !LOOPBACK_HOSTS.has(host)) {
      throw new UsageError(`--host ${host} would decode payloads for anyone on the network: set PRPILOT_CODEC_TOKEN, or keep the default host 127.0.0.1`);
    }
    const origins = values.origin
      ? values.origin.map((raw) => originOf(raw, '--origin'))
      : withLoopbackTwin(originOf(env.uiUrl, 'PRPILOT_UI_URL'));

    const server = createCodecServer({ codec, origins, token, log: (line) => io.err(`prpilot codec-server: ${line}`) });
    const url = await listen(server, host, port).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new UsageError(`port ${port} on ${host} is already in use: pick another --port`) : error;
    });
    io.out(`prpilot codec-server: listening on ${url}`);
    io.err(`prpilot codec-server: key id ${codec.currentKeyId}; CORS origins ${origins.join(', ')}; ${token ? 'token required' : 'no token required (loopback only)'}. Ctrl-C to stop.`);
    io.err(`  UI: temporal server start-dev --ui-codec-endpoint ${url}   (or the UI's codec server settings)`);

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const stop = (received: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(received);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await close(server);
    io.err(`prpilot codec-server: stopped (${signal})`);
    return EXIT.ok;
  },
};
