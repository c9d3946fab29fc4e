import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeFlags } from './searchAttributes.js';

export interface DevServerOptions {
  cliPath: string;
  dbFile: string;
  logFile: string;
  port: number;
  uiPort: number;
  /** Detached servers outlive the process that started them (the demo leaves one running for the UI). */
  detached: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export async function isReachable(address: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** `temporal server start-dev` with a persisted SQLite file and our search attributes, ready when it returns. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  await mkdir(path.dirname(options.dbFile), { recursive: true });
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = await open(options.logFile, 'a');
  const args = [
    'server', 'start-dev',
    '--db-filename', options.dbFile,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--ip', '127.0.0.1',
    '--log-level', 'warn',
    ...devServerSearchAttributeFlags(),
  ];
  const child: ChildProcess = spawn(options.cliPath, args, { stdio: ['ignore', log.fd, log.fd], detached: options.detached });
  await log.close();
  if (options.detached) child.unref();
  const address = `127.0.0.1:${options.port}`;
  let exited: number | null = null;
  child.on('exit', (code) => { exited = code ?? -1; });
  const deadline = Date.now() + 60_000;
  while (!(await isReachable(address, 1_000))) {
    if (exited !== null || Date.now() > deadline) {
      const tail = (await readFile(options.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      if (exited === null) child.kill('SIGKILL');
      throw new Error(`the Temporal dev server did not start (${exited !== null ? `exited with ${exited}` : 'timed out'}); last log lines from ${options.logFile}:\n${tail}`);
    }
    await sleep(250);
  }
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    pid: child.pid!,
    async stop() {
      if (exited !== null) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}
