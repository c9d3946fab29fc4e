import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PRPILOT = fileURLToPath(new URL('../../bin/prpilot', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (bin/prpilot) as a separate process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, options: { timeoutMs?: number; cwd?: string } = {}): Promise<CliRun> {
  return runProgram(PRPILOT, args, env, options);
}

export function runProgram(program: string, args: string[], env: NodeJS.ProcessEnv = {}, options: { timeoutMs?: number; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/**
 * Processes whose working directory or command line mentions `marker` (e.g. a test's PRPILOT_HOME):
 * after a test every deploy process must be gone.
 */
export function processesMentioning(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) [ZX] /.test(state)) continue;
      if (cmdline.includes(marker) || cwd.startsWith(marker)) found.push({ pid, cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
