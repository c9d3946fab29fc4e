/**
 * Helpers for tests that start real processes.
 *
 * Also runnable as a stand-in worker that dies: it starts deployments on the local target, prints
 * `{"event":"ready"}` and waits to be killed, leaving orphaned deployments behind:
 *   node --import tsx test/helpers/processes.ts '<json: {stateDir, logDir, serviceDir, canaryId, singleId}>'
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { serviceConfigSchema, type ServiceConfig } from '../../config/schema.js';

/** Whether pid is alive: `process.kill(pid, 0)` succeeds and (on Linux) it is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Waits until none of pids is alive; returns the ones still alive after timeoutMs. */
export async function waitAllDead(pids: number[], timeoutMs = 3_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(pidAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const demoServiceDir = fileURLToPath(new URL('../../examples/demo-service/', import.meta.url));

/** The demo service's `service` config, as the deploy activities would parse it. */
export function demoServiceConfig(): ServiceConfig {
  const config = JSON.parse(readFileSync(`${demoServiceDir}prpilot.config.json`, 'utf8')) as { service: unknown };
  return serviceConfigSchema.parse(config.service);
}

export interface DyingWorkerInput {
  stateDir: string;
  logDir: string;
  serviceDir: string;
  canaryId: string;
  singleId: string;
}

/** Starts this file as a stand-in worker; resolves once its deployments are up. Kill it with SIGKILL. */
export async function startDyingWorker(input: DyingWorkerInput): Promise<ChildProcess> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, fileURLToPath(import.meta.url), JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('"event":"ready"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`stand-in worker exited with ${code} before it was ready: ${output}`)));
  });
  return child;
}

async function dyingWorker(input: DyingWorkerInput): Promise<void> {
  const { createLocalTarget } = await import('../../targets/local/target.js');
  const target = createLocalTarget({ stateDir: input.stateDir, logDir: input.logDir });
  const service = demoServiceConfig();
  await target.startCanary(input.canaryId, {
    stable: { label: 'stable', dir: input.serviceDir },
    canary: { label: 'canary', dir: input.serviceDir },
    service,
    percent: 20,
    requestsPerSecond: 20,
    paths: service.trafficPaths,
  });
  await target.startSingle(input.singleId, { label: 'staging', dir: input.serviceDir }, service);
  process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
  setInterval(() => undefined, 60_000);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  dyingWorker(JSON.parse(process.argv[2] ?? '{}') as DyingWorkerInput).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
