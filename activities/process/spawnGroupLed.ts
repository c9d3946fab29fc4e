import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** Leads the command's process group and stops it if this process dies (see groupLeader.mjs). */
const GROUP_LEADER = fileURLToPath(new URL('./groupLeader.mjs', import.meta.url));

export interface GroupLedProcess {
  /** The group's leader: it exits as the command does (the same code, or the same signal). */
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Why the command could not be started (no such program, ...), once the leader has said so. */
  spawnError(): string | null;
}

/**
 * Starts argv in a process group of its own, led by groupLeader.mjs, which holds a channel to this
 * process and stops the whole group when it closes: nothing started here outlives a SIGKILLed worker.
 * The group's id is the child's pid, so the caller can still signal all of it (`process.kill(-pid)`).
 */
export function spawnGroupLed(program: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): GroupLedProcess {
  const child = spawn(process.execPath, [GROUP_LEADER, program, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  let spawnError: string | null = null;
  child.on('message', (message: { spawnError?: unknown }) => {
    if (typeof message?.spawnError === 'string') spawnError = message.spawnError;
  });
  // stdout and stderr are pipes (stdio above); the types cannot tell with an IPC channel among them.
  return { child: child as unknown as GroupLedProcess['child'], spawnError: () => spawnError };
}
