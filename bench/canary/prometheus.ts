/**
 * A real Prometheus (scripts/ensure-prometheus) for the benchmark, scraping every second whatever the
 * local target lists in its file_sd dir, as test/e2e/prometheus.test.ts runs it. Stopped (its whole
 * process group) when the workspace is cleaned up.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Workspace } from './workspace.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const SCRAPE_INTERVAL_SECONDS = 1;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(-pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000 && alive(pid); waited += 100) await sleep(100);
  if (alive(pid)) process.kill(-pid, 'SIGKILL');
}

/** Starts Prometheus on a free port over `targetsDir`/*.json; resolves with its URL once it is ready. */
export async function startPrometheus(workspace: Workspace, targetsDir: string): Promise<{ url: string; binary: string }> {
  const { stdout } = await run(join(repoRoot, 'scripts', 'ensure-prometheus'), { cwd: repoRoot });
  const binary = stdout.trim();
  const config = join(workspace.root, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    `  scrape_interval: ${SCRAPE_INTERVAL_SECONDS}s`,
    `  scrape_timeout: ${SCRAPE_INTERVAL_SECONDS}s`,
    'scrape_configs:',
    '  - job_name: prpilot',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(join(targetsDir, '*.json'))}]`,
    '        refresh_interval: 1s',
    '',
  ].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(workspace.root, 'prometheus.log');
  const log = openSync(logFile, 'a');
  let exited: string | null = null;
  let pid: number | undefined;
  try {
    const child = spawn(binary, [`--config.file=${config}`, `--storage.tsdb.path=${join(workspace.root, 'prometheus-data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      detached: true, stdio: ['ignore', log, log],
    });
    child.on('error', (error) => (exited = error.message));
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (pid !== undefined) {
    const group = pid;
    workspace.onCleanup(() => stopGroup(group));
  }
  const tail = (): string => readFileSync(logFile, 'utf8').slice(-2000);
  for (const deadline = Date.now() + 30_000; ;) {
    if (await fetch(`${url}/-/ready`).then((response) => response.ok, () => false)) return { url, binary };
    if (exited) throw new Error(`Prometheus ${exited} before it was ready:\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`Prometheus was not ready within 30 s:\n${tail()}`);
    await sleep(200);
  }
}
