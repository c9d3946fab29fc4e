/**
 * Starts and stops child processes, and keeps the per-deployment state files.
 *
 * Every child is its own process group leader (`detached: true`), so stopping it signals the whole
 * tree (`process.kill(-pid)`): SIGTERM, then SIGKILL after a grace period, then wait until no live
 * process is left in the group. stdout and stderr go straight to a log file (not through a pipe), so
 * children keep running and logging if the supervising process dies; the state file then lets another
 * process stop or adopt them (`reapOrphans`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { deploymentStateSchema, LocalTargetError, type DeploymentState, type ProcessRecord } from './types.js';

const DEFAULT_GRACE_MS = 5_000;
const POLL_MS = 50;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Liveness (zombies count as dead: a dead child's entry can linger until its parent reaps it)

interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: number;
}

function procStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session ..."; comm may contain spaces and parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return null;
  }
}

const hasProcFs = existsSync('/proc/self/stat');

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart; null elsewhere. */
export function processStartTicks(pid: number): number | null {
  return procStat(pid)?.startTicks ?? null;
}

function signalExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether pid is a live (non-zombie) process, and, if startTicks is given, the same process as then. */
export function isPidAlive(pid: number, startTicks?: number | null): boolean {
  if (!signalExists(pid)) return false;
  if (!hasProcFs) return true;
  const stat = procStat(pid);
  if (!stat) return false;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks == null || stat.startTicks === startTicks;
}

/** Whether any live (non-zombie) process is left in process group pgid. */
export function isGroupAlive(pgid: number): boolean {
  if (!signalExists(-pgid)) return false;
  if (!hasProcFs) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/** Whether a recorded process (a group leader) or anything left of its group is alive. */
export function isRecordAlive(record: ProcessRecord): boolean {
  if (record.startTicks != null && hasProcFs) {
    const stat = procStat(record.pid);
    // A process with the leader's pid but another start time: the pid was reused, so our group is gone
    // (Linux does not hand out a pid that is still in use as a process group id).
    if (stat && stat.startTicks !== record.startTicks) return false;
  }
  return isGroupAlive(record.pid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/** SIGTERM the group, SIGKILL it after graceMs, and wait until nothing of it is alive. */
export async function stopGroup(pgid: number, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  if (!isGroupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitGroupGone(pgid, 5_000))) {
    throw new Error(`process group ${pgid} is still alive 5 s after SIGKILL`);
  }
}

export async function stopRecord(record: ProcessRecord, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  if (isRecordAlive(record)) await stopGroup(record.pid, graceMs);
}

// ---------------------------------------------------------------------------------------------
// Spawning

export interface SpawnSpec {
  /** short name for messages and the log header, e.g. 'proxy' or 'stable' */
  role: string;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  role: string;
  pid: number;
  argv: string[];
  cwd: string;
  logFile: string;
  /** size of the log file when this process started: its own output is after this offset */
  logOffset: number;
  startedAt: number;
  startTicks: number | null;
  /** set once the process has exited */
  exit: ExitInfo | null;
}

export function toRecord(spawned: Spawned, port: number | null): ProcessRecord {
  return { pid: spawned.pid, port, logFile: spawned.logFile, startedAt: spawned.startedAt, startTicks: spawned.startTicks };
}

/** The environment children inherit: ours without the test runner's private variable. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // Set by `node --test` in its children; a service's own `node --test` would misbehave with it.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Keeps every process it started, so stopAll() can end them at worker shutdown. */
export class Supervisor {
  private readonly live = new Map<number, Spawned>();

  constructor(private readonly graceMs = DEFAULT_GRACE_MS) {}

  async start(spec: SpawnSpec): Promise<Spawned> {
    const [command, ...args] = spec.argv;
    if (!command) throw new LocalTargetError('invalid_argument', `${spec.role}: empty command`);
    if (!existsSync(spec.cwd)) {
      throw new LocalTargetError('invalid_argument', `${spec.role}: directory ${spec.cwd} does not exist`);
    }
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    let logOffset: number;
    try {
      writeSync(fd, `\n--- ${new Date().toISOString()} ${spec.role}: ${JSON.stringify(spec.argv)} in ${spec.cwd}\n`);
      logOffset = fstatSync(fd).size;
      child = spawn(command, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new LocalTargetError(
        'start_failed',
        `${spec.role}: could not run ${JSON.stringify(spec.argv)} in ${spec.cwd}: ${error.message}`,
      );
    }
    const spawned: Spawned = {
      role: spec.role,
      pid,
      argv: spec.argv,
      cwd: spec.cwd,
      logFile: spec.logFile,
      logOffset,
      startedAt: Date.now(),
      startTicks: processStartTicks(pid),
      exit: null,
    };
    this.live.set(pid, spawned);
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      spawned.exit = { code, signal };
    });
    // A leaked child must never keep this process running; stopAll() and the state files handle them.
    child.unref();
    return spawned;
  }

  /** Stops the process group of a process this supervisor started (a no-op once it is gone). */
  async stop(pid: number): Promise<void> {
    const spawned = this.live.get(pid);
    // Checked against the recorded start time, so a pid reused since by another process is left alone.
    if (spawned && isRecordAlive(toRecord(spawned, null))) await stopGroup(pid, this.graceMs);
    this.live.delete(pid);
  }

  /** Stops every process this supervisor started that is still alive. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((pid) => this.stop(pid)));
  }

  /** Pids of the processes this supervisor started that are still alive. */
  pids(): number[] {
    return [...this.live.values()].filter((spawned) => isRecordAlive(toRecord(spawned, null))).map((spawned) => spawned.pid);
  }
}

/** Whether the spawned process has exited (ours: the exit event; otherwise: the group is gone). */
export function hasExited(spawned: Spawned): boolean {
  return spawned.exit !== null || !isGroupAlive(spawned.pid);
}

export function describeExit(spawned: Spawned): string {
  const exit = spawned.exit;
  if (!exit) return 'exited';
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

// ---------------------------------------------------------------------------------------------
// Logs

/** The last `lines` lines a process wrote to its log since `fromOffset` (at most the last 64 KiB). */
export async function tailLog(logFile: string, fromOffset = 0, lines = 20): Promise<string> {
  const text = await readLogSince(logFile, fromOffset, 64 * 1024);
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function readLogSince(logFile: string, fromOffset: number, maxBytes: number): Promise<string> {
  let handle;
  try {
    handle = await open(logFile, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(fromOffset, size - maxBytes);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Waits for the first stdout line of the process that parses as JSON and matches schema
 * (e.g. `{"event":"listening","port":N}`). Fails if the process exits or timeoutMs passes.
 */
export async function waitForJsonLine<T>(spawned: Spawned, schema: z.ZodType<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readLogSince(spawned.logFile, spawned.logOffset, 1024 * 1024);
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = schema.safeParse(JSON.parse(line));
        if (parsed.success) return parsed.data;
      } catch {
        // not JSON: ordinary output
      }
    }
    if (hasExited(spawned)) {
      throw new LocalTargetError(
        'start_failed',
        `${spawned.role} ${describeExit(spawned)} before it was ready. Last lines of ${spawned.logFile}:\n` +
          (await tailLog(spawned.logFile, spawned.logOffset)),
      );
    }
    if (Date.now() >= deadline) {
      throw new LocalTargetError(
        'start_timeout',
        `${spawned.role} was not ready after ${timeoutMs} ms. Last lines of ${spawned.logFile}:\n` +
          (await tailLog(spawned.logFile, spawned.logOffset)),
      );
    }
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Our own children (proxy, load generator): run with tsx from this repo, wherever the cwd is

const here = dirname(fileURLToPath(import.meta.url));

/** Root of the prpilot checkout (targets/local/../..). */
export const repoRoot = join(here, '..', '..');

/**
 * argv that runs targets/local/<name> with config as its one argument: the compiled .js if there is
 * one next to this file, else the .ts through tsx resolved from this repo's node_modules.
 */
export function childScriptArgv(name: 'proxy' | 'loadgen', config: unknown): string[] {
  const compiled = join(here, `${name}.js`);
  if (existsSync(compiled)) return [process.execPath, compiled, JSON.stringify(config)];
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [process.execPath, '--import', tsxLoader, join(here, `${name}.ts`), JSON.stringify(config)];
}

// ---------------------------------------------------------------------------------------------
// State files: <stateDir>/<encodeURIComponent(deploymentId)>.json, written atomically

export function stateFilePath(stateDir: string, deploymentId: string): string {
  return join(stateDir, `${encodeURIComponent(deploymentId)}.json`);
}

export function readState(stateDir: string, deploymentId: string): DeploymentState | null {
  return readStateFile(stateFilePath(stateDir, deploymentId));
}

function readStateFile(path: string): DeploymentState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = deploymentStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`state file ${path} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

export function writeState(stateDir: string, state: DeploymentState): void {
  mkdirSync(stateDir, { recursive: true });
  const path = stateFilePath(stateDir, state.deploymentId);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(deploymentStateSchema.parse(state), null, 2)}\n`);
  renameSync(tmp, path);
}

export function removeState(stateDir: string, deploymentId: string): void {
  rmSync(stateFilePath(stateDir, deploymentId), { force: true });
}

/** Every readable state file in stateDir (unreadable ones are skipped). */
export function listStates(stateDir: string): DeploymentState[] {
  let entries: string[];
  try {
    entries = readdirSync(stateDir);
  } catch {
    return [];
  }
  const states: DeploymentState[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.json')) continue;
    try {
      const state = readStateFile(join(stateDir, entry));
      if (state) states.push(state);
    } catch {
      // a half-written or foreign file: not ours to judge here
    }
  }
  return states;
}

export function isSupervisorAlive(state: DeploymentState): boolean {
  return isPidAlive(state.supervisorPid, state.supervisorStartTicks);
}

/** Stops every process in the state: the load first, then the proxy, then the versions. */
export async function stopStateProcesses(state: DeploymentState, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  const { loadgen, measure, proxy, stable, canary } = state.processes;
  await Promise.all([loadgen, measure].map((record) => (record ? stopRecord(record, graceMs) : undefined)));
  if (proxy) await stopRecord(proxy, graceMs);
  await Promise.all([stable, canary].map((record) => (record ? stopRecord(record, graceMs) : undefined)));
}

export function hasLiveProcess(state: DeploymentState): boolean {
  return Object.values(state.processes).some((record) => record !== undefined && isRecordAlive(record));
}

/**
 * Stops the processes of every deployment in stateDir whose supervising process is dead, and removes
 * their state files. Returns the ids it reaped.
 */
export async function reapOrphans(stateDir: string, graceMs = DEFAULT_GRACE_MS): Promise<string[]> {
  const reaped: string[] = [];
  for (const state of listStates(stateDir)) {
    if (isSupervisorAlive(state)) continue;
    await stopStateProcesses(state, graceMs);
    removeState(stateDir, state.deploymentId);
    reaped.push(state.deploymentId);
  }
  return reaped;
}
