/**
 * A stand-in worker that dies mid-command: runs its argument (a JSON argv) with runCommand in the
 * current directory, as the test stage does, and waits to be killed:
 *   node --import tsx test/helpers/commandOwner.ts '["sh","-c","..."]'
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCommand } from '../../activities/process/runCommand.js';

/** Starts this file as the owner of `argv`, run in cwd. Kill it with SIGKILL. */
export function startCommandOwner(argv: string[], cwd: string): ChildProcess {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return spawn(process.execPath, ['--import', tsx, fileURLToPath(import.meta.url), JSON.stringify(argv)], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const argv = JSON.parse(process.argv[2] ?? '[]') as string[];
  await runCommand(argv, { cwd: process.cwd(), timeoutMs: 600_000 });
}
