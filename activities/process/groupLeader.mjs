/**
 * Leads the process group of a command that runCommand (./runCommand.ts) runs, so that the command
 * never outlives the worker that started it:
 *
 *   node groupLeader.mjs PROGRAM [ARG...]    (spawned detached, with an IPC channel to the worker)
 *
 * It runs PROGRAM in its own (this) process group and ends as PROGRAM does: the same exit code, or the
 * same signal. If the channel closes while PROGRAM runs, the worker is gone (SIGKILLed, crashed): it
 * stops the whole group, SIGTERM then SIGKILL, itself included. Nothing else would: the group is
 * detached so that the worker can stop all of it, and so nothing of the worker's own reaches it.
 *
 * Plain JavaScript, so it starts in milliseconds without a TypeScript loader.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const GRACE_MS = 2_000;
const [program, ...args] = process.argv.slice(2);

if (!process.send || !program) {
  process.stderr.write('usage: node groupLeader.mjs PROGRAM [ARG...], spawned with an IPC channel (see runCommand.ts)\n');
  process.exit(2);
}

const signalGroup = (signal) => {
  try { process.kill(-process.pid, signal); } catch { /* nothing left */ }
};

// The worker stops a command by signalling its whole group, this process included: SIGTERM is meant
// for the command, and the leader stays to report how the command ended (SIGKILL ends it anyway).
const forCommand = () => {};
process.on('SIGTERM', forCommand);

let orphaned = false;
process.on('disconnect', () => {
  orphaned = true;
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), GRACE_MS);
});

const child = spawn(program, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (error) => {
  // Could not be started (no such program, ...): the worker reports this as its own error.
  try {
    process.send({ spawnError: error.message }, () => process.exit(127));
  } catch {
    process.exit(127);
  }
});
child.on('exit', (code, signal) => {
  // Orphaned: stragglers in the group are stopped by the timer above before this process ends.
  if (orphaned) return;
  if (signal) {
    process.off('SIGTERM', forCommand);
    process.kill(process.pid, signal);
    // A signal this process ignores (Node ignores SIGPIPE): the shell's convention instead.
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 100);
    return;
  }
  process.exit(code ?? 1);
});
