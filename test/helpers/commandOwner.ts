/**
 * A stand-in worker that dies mid-command: runs its argument (a JSON argv) in the current directory
 * with runCommand, as the test stage does, or with runScript, as the command deploy target does, and
 * waits to be killed:
 *   node --import tsx test/helpers/commandOwner.ts '["sh","-c","..."]' [runCommand|runScript]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCommand } from '../../activities/process/runCommand.js';
import { runScript } from '../../targets/command/runScript.js';

export type Runner = 'runCommand' | 'runScript';

/** Starts this file as the owner of `argv`, run in cwd by `runner`. Kill it with SIGKILL. */
export function startCommandOwner(argv: string[], cwd: string, runner: Runner = 'runCommand'): ChildProcess {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return spawn(process.execPath, ['--import', tsx, fileURLToPath(import.meta.url), JSON.stringify(argv), runner], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const argv = JSON.parse(process.argv[2] ?? '[]') as string[];
  const options = { cwd: process.cwd(), timeoutMs: 600_000 };
  if (process.argv[3] === 'runScript') await runScript(argv, { ...options, env: process.env, graceMs: 1_000, maxOutputBytes: 1024 * 1024 });
  else await runCommand(argv, options);
}
