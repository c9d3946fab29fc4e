/**
 * Versions of the demo service for the canary benchmarks: a copy of examples/demo-service in a temp
 * dir whose request handler injects a fault (errors, slow responses, latency spikes) from its first
 * request. Health checks and /metrics are never touched, so the version starts and is scraped normally.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { baseRepoFiles } from '../../examples/demo-service/pr-changes/index.js';

/** Per request, independently: each rate is a probability in [0, 1]. */
export interface ServiceFault {
  /** answered 500 instead of the real response */
  errorRate: number;
  /** delayed by exactly slowMs */
  slowRate: number;
  slowMs: number;
  /** delayed by a uniform draw in [spikeMinMs, spikeMaxMs] (a GC pause, a cold cache) */
  spikeRate: number;
  spikeMinMs: number;
  spikeMaxMs: number;
}

export const noFault: ServiceFault = { errorRate: 0, slowRate: 0, slowMs: 0, spikeRate: 0, spikeMinMs: 0, spikeMaxMs: 0 };

export function describeFault(fault: ServiceFault): string {
  const parts: string[] = [];
  if (fault.errorRate > 0) parts.push(`${fault.errorRate * 100}% of requests answer 500`);
  if (fault.slowRate > 0) parts.push(`${fault.slowRate * 100}% of requests delayed ${fault.slowMs} ms`);
  if (fault.spikeRate > 0) parts.push(`${fault.spikeRate * 100}% delayed ${fault.spikeMinMs}–${fault.spikeMaxMs} ms`);
  return parts.length > 0 ? parts.join(', ') : 'no fault';
}

const FAULT_MODULE = 'bench-fault.js';

/** Decides each request's fate; plain JS, written next to server.js. */
function faultModule(fault: ServiceFault): string {
  return `// Written by prpilot's canary benchmarks (bench/canary/service.ts).
const fault = ${JSON.stringify(fault)};
const exempt = (path) => path === '/health' || path === '/metrics';

export function injectedError(path) {
  return !exempt(path) && Math.random() < fault.errorRate;
}

export function injectedDelayMs(path) {
  if (exempt(path)) return 0;
  let ms = 0;
  if (Math.random() < fault.slowRate) ms += fault.slowMs;
  if (Math.random() < fault.spikeRate) ms += fault.spikeMinMs + Math.random() * (fault.spikeMaxMs - fault.spikeMinMs);
  return ms;
}
`;
}

/** Exact text edits of server.js; each anchor must occur once, or the demo changed and this must follow. */
const SERVER_EDITS: [from: string, to: string][] = [
  [
    "import { createApp } from './src/app.js';\n",
    `import { createApp } from './src/app.js';\nimport { injectedDelayMs, injectedError } from './${FAULT_MODULE}';\n`,
  ],
  [
    "({ status, body } = handle(req.method ?? 'GET', path));",
    "({ status, body } = injectedError(path) ? { status: 500, body: { error: 'injected fault' } } : handle(req.method ?? 'GET', path));",
  ],
  [
    '  res.end(json);\n',
    '  const delayMs = injectedDelayMs(path);\n  if (delayMs > 0) setTimeout(() => res.end(json), delayMs);\n  else res.end(json);\n',
  ],
];

/** Writes the demo service with `fault` into `dir` (created); returns dir. */
export function writeServiceVersion(dir: string, fault: ServiceFault): string {
  for (const [path, content] of Object.entries(baseRepoFiles())) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const serverJs = join(dir, 'server.js');
  let text = readFileSync(serverJs, 'utf8');
  for (const [from, to] of SERVER_EDITS) {
    const count = text.split(from).length - 1;
    if (count !== 1) {
      throw new Error(`bench: examples/demo-service/server.js has ${JSON.stringify(from)} ${count} times (expected once): update bench/canary/service.ts`);
    }
    text = text.replace(from, () => to);
  }
  writeFileSync(serverJs, text);
  writeFileSync(join(dir, FAULT_MODULE), faultModule(fault));
  return dir;
}
