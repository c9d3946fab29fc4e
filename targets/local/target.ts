/**
 * The local deploy target: each deployment is real processes on 127.0.0.1 — the service version(s)
 * started from their checked-out directories, a weighted proxy in front (proxy.ts) and, for a canary,
 * a load generator (loadgen.ts) sending production-like traffic through the proxy.
 *
 * The state file of a deployment (<stateDir>/<id>.json, see supervisor.ts) is the source of truth:
 * every operation reads it, so a deployment started by one worker process can be measured, rolled
 * back or stopped by another, and one whose worker died is adopted by the next process that touches
 * it (or stopped by reapOrphans). Operations on one deployment id are serialised within a process.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { ServiceConfig } from '../../config/schema.js';
import { httpCall } from './http.js';
import { emptyStats } from './stats.js';
import { pruneStalePrometheusTargets, removePrometheusTargets, writePrometheusTargets } from './prometheusTargets.js';
import {
  childEnv,
  childScriptArgv,
  describeExit,
  hasExited,
  hasLiveProcess,
  isRecordAlive,
  isSupervisorAlive,
  listStates,
  processStartTicks,
  readState,
  removeState,
  repoRoot,
  sleep,
  stopRecord,
  stopStateProcesses,
  Supervisor,
  tailLog,
  toRecord,
  waitForJsonLine,
  writeState,
  type Spawned,
} from './supervisor.js';
import {
  ADMIN_PREFIX,
  listeningLineSchema,
  LocalTargetError,
  statsResponseSchema,
  type CanarySpec,
  type DeploymentState,
  type LocalTarget,
  type MeasureOptions,
  type ProcessRecord,
  type ProcessRole,
  type LoadgenConfigInput,
  type ProxyConfigInput,
  type SmokeResult,
  type StatsResponse,
  type TrafficStats,
  type Upstream,
  type VersionSpec,
} from './types.js';

export type { LocalTarget, TrafficStats, VersionSpec } from './types.js';
export { reapOrphans } from './supervisor.js';

export interface LocalTargetOptions {
  /** where the per-deployment state files live */
  stateDir: string;
  /** where process logs go: <logDir>/<deploymentId>/<role>.log */
  logDir: string;
  /** SIGTERM → SIGKILL grace period when stopping a process (default 5000 ms) */
  graceMs?: number;
  /** how long the proxy and the load generator may take to come up (default 20 000 ms) */
  helperStartTimeoutMs?: number;
  /** when set, each deployment's service processes are listed in <dir>/<id>.json for Prometheus file_sd (prometheusTargets.ts) */
  prometheusTargetsDir?: string;
}

const startedLineSchema = z.object({ event: z.literal('started') });
const ADMIN_TIMEOUT_MS = 5_000;

export function createLocalTarget(options: LocalTargetOptions): LocalTarget {
  const { stateDir, logDir } = options;
  const graceMs = options.graceMs ?? 5_000;
  const helperTimeoutMs = options.helperStartTimeoutMs ?? 20_000;
  const supervisor = new Supervisor(graceMs);
  /** deployments this target started or adopted: what stopAll() stops */
  const owned = new Set<string>();
  const locks = new Map<string, Promise<unknown>>();
  const targetsDir = options.prometheusTargetsDir;
  if (targetsDir) pruneStalePrometheusTargets(targetsDir, stateDir);

  /** Runs fn after every earlier operation on the same deployment id (in this process) has settled. */
  function serialized<T>(deploymentId: string, fn: () => Promise<T>): Promise<T> {
    if (!deploymentId || deploymentId.length > 200) {
      return Promise.reject(new LocalTargetError('invalid_argument', `deployment id must be 1-200 characters (got ${JSON.stringify(deploymentId)})`));
    }
    const previous = locks.get(deploymentId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(deploymentId, tail);
    void tail.then(() => {
      if (locks.get(deploymentId) === tail) locks.delete(deploymentId);
    });
    return run;
  }

  const logFile = (deploymentId: string, role: ProcessRole): string => join(logDir, encodeURIComponent(deploymentId), `${role}.log`);
  const proxyUrl = (state: DeploymentState): string => `http://127.0.0.1:${state.processes.proxy?.port ?? 0}`;

  function save(state: DeploymentState): void {
    state.updatedAt = Date.now();
    writeState(stateDir, state);
    if (targetsDir) writePrometheusTargets(targetsDir, state);
  }

  /** The deployment's state; takes it over if its supervising process is dead. */
  function load(deploymentId: string): DeploymentState | null {
    const state = readState(stateDir, deploymentId);
    if (!state) return null;
    if (!isSupervisorAlive(state)) {
      state.supervisorPid = process.pid;
      state.supervisorStartTicks = processStartTicks(process.pid);
      save(state);
    }
    if (state.supervisorPid === process.pid) owned.add(deploymentId);
    return state;
  }

  function mustLoad(deploymentId: string): DeploymentState {
    const state = load(deploymentId);
    if (!state) throw new LocalTargetError('unknown_deployment', `no local deployment ${deploymentId} (not started, or stopped)`);
    if (!state.processes.proxy || !isRecordAlive(state.processes.proxy)) {
      throw new LocalTargetError('not_running', `local deployment ${deploymentId}: its proxy is not running`);
    }
    return state;
  }

  function newState(deploymentId: string, kind: DeploymentState['kind'], service: ServiceConfig, versions: DeploymentState['versions']): DeploymentState {
    const now = Date.now();
    return {
      schemaVersion: 1,
      deploymentId,
      kind,
      supervisorPid: process.pid,
      supervisorStartTicks: processStartTicks(process.pid),
      createdAt: now,
      updatedAt: now,
      service: {
        name: service.name,
        start: service.start,
        healthPath: service.healthPath,
        smokePaths: service.smokePaths,
        trafficPaths: service.trafficPaths,
        startTimeoutSeconds: service.startTimeoutSeconds,
      },
      versions,
      canaryPercent: 0,
      load: null,
      processes: {},
      promoted: false,
      rolledBack: false,
    };
  }

  async function stopDeployment(state: DeploymentState): Promise<void> {
    if (targetsDir) removePrometheusTargets(targetsDir, state.deploymentId);
    await stopStateProcesses(state, graceMs);
    removeState(stateDir, state.deploymentId);
    owned.delete(state.deploymentId);
  }

  // -------------------------------------------------------------------------------------------
  // Starting processes (each is written to the state file as soon as it exists, so a crash while
  // starting leaves nothing that reapOrphans cannot find)

  async function spawnInto(state: DeploymentState, role: ProcessRole, spec: { argv: string[]; cwd: string; env: NodeJS.ProcessEnv }): Promise<Spawned> {
    const spawned = await supervisor.start({ role: `${state.deploymentId} ${role}`, ...spec, logFile: logFile(state.deploymentId, role) });
    state.processes[role] = toRecord(spawned, null);
    save(state);
    return spawned;
  }

  async function startVersion(state: DeploymentState, role: 'stable' | 'canary', version: VersionSpec, serviceEnv: string): Promise<ProcessRecord> {
    const service = state.service;
    const what = `service ${service.name} (${version.label}) from ${version.dir}`;
    if (!existsSync(version.dir)) throw new LocalTargetError('invalid_argument', `${what}: the directory does not exist`);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const env = childEnv({
        SERVICE_ENV: serviceEnv,
        SERVICE_VERSION: version.label,
        ...version.env,
        PORT: String(port),
        HOST: '127.0.0.1',
      });
      const spawned = await spawnInto(state, role, { argv: service.start, cwd: version.dir, env });
      const healthUrl = `http://127.0.0.1:${port}${service.healthPath}`;
      const deadline = Date.now() + service.startTimeoutSeconds * 1000;
      let last = 'no answer yet';
      for (;;) {
        const result = await httpCall(healthUrl, { timeoutMs: 1_000 });
        if (result.status === 200) {
          const record = toRecord(spawned, port);
          state.processes[role] = record;
          save(state);
          return record;
        }
        last = result.status === 0 ? (result.error ?? 'no answer') : `status ${result.status}`;
        if (hasExited(spawned)) {
          const tail = await tailLog(spawned.logFile, spawned.logOffset);
          // Another process took the port between our check and the service's bind: try another.
          if (/EADDRINUSE/.test(tail) && attempt < 3) {
            await stopRecord(toRecord(spawned, port), graceMs);
            break;
          }
          throw new LocalTargetError(
            'start_failed',
            `${what} ${describeExit(spawned)} before GET ${service.healthPath} answered 200 ` +
              `(started as ${JSON.stringify(service.start)}). Last lines of ${spawned.logFile}:\n${tail}`,
          );
        }
        if (Date.now() >= deadline) {
          await stopRecord(toRecord(spawned, port), graceMs);
          throw new LocalTargetError(
            'start_timeout',
            `${what} did not answer GET ${service.healthPath} with 200 within ${service.startTimeoutSeconds} s ` +
              `(last: ${last}; it must listen on $PORT). Last lines of ${spawned.logFile}:\n` +
              (await tailLog(spawned.logFile, spawned.logOffset)),
          );
        }
        await sleep(100);
      }
    }
  }

  async function startProxy(state: DeploymentState): Promise<void> {
    const upstream = (role: 'stable' | 'canary'): Upstream | null => {
      const record = state.processes[role];
      const version = state.versions[role];
      return record && version ? { url: `http://127.0.0.1:${record.port}`, label: version.label } : null;
    };
    const stable = upstream('stable');
    if (!stable) throw new LocalTargetError('not_running', `local deployment ${state.deploymentId}: no stable version to proxy to`);
    const config: ProxyConfigInput = {
      stable,
      canary: state.rolledBack ? null : upstream('canary'),
      canaryPercent: state.rolledBack ? 0 : state.canaryPercent,
    };
    const spawned = await spawnInto(state, 'proxy', { argv: childScriptArgv('proxy', config), cwd: repoRoot, env: childEnv() });
    const { port } = await waitForJsonLine(spawned, listeningLineSchema, helperTimeoutMs);
    state.processes.proxy = toRecord(spawned, port);
    save(state);
  }

  async function startLoad(state: DeploymentState, role: 'loadgen' | 'measure', load: { requestsPerSecond: number; paths: string[]; durationSeconds?: number }): Promise<Spawned> {
    const config: LoadgenConfigInput = { url: proxyUrl(state), paths: load.paths, requestsPerSecond: load.requestsPerSecond, durationSeconds: load.durationSeconds };
    const spawned = await spawnInto(state, role, { argv: childScriptArgv('loadgen', config), cwd: repoRoot, env: childEnv() });
    await waitForJsonLine(spawned, startedLineSchema, helperTimeoutMs);
    return spawned;
  }

  async function checkThroughProxy(state: DeploymentState): Promise<void> {
    const result = await httpCall(`${proxyUrl(state)}${state.service.healthPath}`, { timeoutMs: 5_000 });
    if (result.status !== 200) {
      throw new LocalTargetError(
        'start_failed',
        `local deployment ${state.deploymentId}: GET ${state.service.healthPath} through the proxy answered ${result.status || result.error}`,
      );
    }
  }

  /** Whether every process the deployment should have is alive and each version answers health. */
  async function isHealthy(state: DeploymentState): Promise<boolean> {
    const roles: ProcessRole[] = ['proxy', 'stable'];
    if (state.kind === 'canary' && !state.rolledBack) roles.push('canary');
    if (state.load) roles.push('loadgen');
    for (const role of roles) {
      const record = state.processes[role];
      if (!record || !isRecordAlive(record)) return false;
    }
    const checks = await Promise.all([
      httpCall(`${proxyUrl(state)}${ADMIN_PREFIX}health`, { timeoutMs: 2_000 }),
      ...(['stable', 'canary'] as const)
        .filter((role) => roles.includes(role))
        .map((role) => httpCall(`http://127.0.0.1:${state.processes[role]?.port}${state.service.healthPath}`, { timeoutMs: 2_000 })),
    ]);
    return checks.every((check) => check.status === 200);
  }

  const sameVersion = (a: VersionSpec | null, b: VersionSpec): boolean =>
    a !== null && a.label === b.label && a.dir === b.dir && JSON.stringify(a.env ?? {}) === JSON.stringify(b.env ?? {});

  /** Starts what `build` describes; on any failure stops everything started and removes the state. */
  async function startFresh(state: DeploymentState, build: (state: DeploymentState) => Promise<void>): Promise<{ url: string }> {
    save(state);
    owned.add(state.deploymentId);
    try {
      await build(state);
      return { url: proxyUrl(state) };
    } catch (error) {
      await stopDeployment(state);
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Talking to the proxy

  async function admin(state: DeploymentState, method: 'GET' | 'POST', path: string, json?: unknown): Promise<string> {
    const result = await httpCall(`${proxyUrl(state)}${ADMIN_PREFIX}${path}`, { method, json, timeoutMs: ADMIN_TIMEOUT_MS });
    if (result.status !== 200) {
      throw new LocalTargetError(
        result.status === 0 ? 'not_running' : 'invalid_argument',
        `local deployment ${state.deploymentId}: proxy ${method} ${path} failed: ${result.status || ''} ${result.error ?? result.body}`.trim(),
      );
    }
    return result.body;
  }

  async function proxyStats(state: DeploymentState, since: number, until?: number): Promise<Record<string, TrafficStats>> {
    const query = `stats?since=${since}${until === undefined ? '' : `&until=${until}`}`;
    const response: StatsResponse = statsResponseSchema.parse(JSON.parse(await admin(state, 'GET', query)));
    const strip = ({ label: _label, ...stats }: TrafficStats & { label: string }): TrafficStats => stats;
    if (state.kind === 'single') return { [state.versions.stable.label]: strip(response.versions.stable) };
    return {
      stable: strip(response.versions.stable),
      canary: response.versions.canary ? strip(response.versions.canary) : emptyStats(),
    };
  }

  const requireCanary = (state: DeploymentState, action: string): void => {
    if (state.kind !== 'canary') throw new LocalTargetError('invalid_argument', `local deployment ${state.deploymentId} has no canary to ${action}`);
    if (state.rolledBack) throw new LocalTargetError('invalid_argument', `local deployment ${state.deploymentId}: cannot ${action}, the canary was rolled back`);
  };

  function stop(deploymentId: string): Promise<void> {
    return serialized(deploymentId, async () => {
      const state = readState(stateDir, deploymentId);
      if (state) await stopDeployment(state);
      owned.delete(deploymentId);
    });
  }

  // -------------------------------------------------------------------------------------------

  return {
    startSingle: (deploymentId, version, service) =>
      serialized(deploymentId, async () => {
        const existing = load(deploymentId);
        if (existing) {
          if (existing.kind === 'single' && sameVersion(existing.versions.stable, version) && (await isHealthy(existing))) {
            return { url: proxyUrl(existing) };
          }
          await stopDeployment(existing);
        }
        const state = newState(deploymentId, 'single', service, { stable: version, canary: null });
        return startFresh(state, async () => {
          await startVersion(state, 'stable', version, 'staging');
          await startProxy(state);
          await checkThroughProxy(state);
        });
      }),

    smoke: (deploymentId, paths) =>
      serialized(deploymentId, async () => {
        const state = mustLoad(deploymentId);
        const results: SmokeResult[] = [];
        for (const path of paths) {
          const { status, ms } = await httpCall(`${proxyUrl(state)}${path}`, { timeoutMs: 10_000 });
          results.push({ path, status, ok: status >= 200 && status < 300, ms });
        }
        return results;
      }),

    measure: (deploymentId, opts: MeasureOptions) =>
      serialized(deploymentId, async () => {
        if (!(opts.windowSeconds > 0) || !(opts.requestsPerSecond > 0) || opts.paths.length === 0) {
          throw new LocalTargetError('invalid_argument', 'measure: windowSeconds and requestsPerSecond must be positive and paths not empty');
        }
        const state = mustLoad(deploymentId);
        try {
          // The load generator stops itself a little after the window even if we are killed meanwhile.
          const spawned = await startLoad(state, 'measure', { ...opts, durationSeconds: opts.windowSeconds + 2 });
          const since = Date.now();
          const end = since + opts.windowSeconds * 1000;
          for (let now = Date.now(); now < end; now = Date.now()) {
            await sleep(Math.min(1000, end - now));
            if (hasExited(spawned)) {
              throw new LocalTargetError('not_running', `local deployment ${deploymentId}: the load generator ${describeExit(spawned)} during the window`);
            }
            opts.onProgress?.(Math.min(opts.windowSeconds, Math.round((Date.now() - since) / 1000)));
          }
          return await proxyStats(state, since, end);
        } finally {
          const measure = state.processes.measure;
          if (measure) {
            await stopRecord(measure, graceMs);
            delete state.processes.measure;
            save(state);
          }
        }
      }),

    startCanary: (deploymentId, spec: CanarySpec) =>
      serialized(deploymentId, async () => {
        if (!(spec.percent >= 0 && spec.percent <= 100)) {
          throw new LocalTargetError('invalid_argument', `canary percent must be between 0 and 100 (got ${spec.percent})`);
        }
        const existing = load(deploymentId);
        if (existing) {
          const same = existing.kind === 'canary' && sameVersion(existing.versions.stable, spec.stable) && sameVersion(existing.versions.canary, spec.canary);
          if (same && !existing.rolledBack && (await isHealthy(existing))) return { url: proxyUrl(existing) };
          await stopDeployment(existing);
        }
        const state = newState(deploymentId, 'canary', spec.service, { stable: spec.stable, canary: spec.canary });
        state.canaryPercent = spec.percent;
        state.load = spec.requestsPerSecond > 0 ? { requestsPerSecond: spec.requestsPerSecond, paths: spec.paths } : null;
        return startFresh(state, async () => {
          // Both versions at once; wait for both to settle so a failure never leaves one still starting.
          const started = await Promise.allSettled([
            startVersion(state, 'stable', spec.stable, 'production'),
            startVersion(state, 'canary', spec.canary, 'production'),
          ]);
          for (const result of started) if (result.status === 'rejected') throw result.reason;
          await startProxy(state);
          await checkThroughProxy(state);
          if (state.load) await startLoad(state, 'loadgen', state.load);
        });
      }),

    stats: (deploymentId, sinceEpochMs, untilEpochMs) =>
      serialized(deploymentId, async () => proxyStats(mustLoad(deploymentId), sinceEpochMs, untilEpochMs)),

    setCanaryPercent: (deploymentId, percent) =>
      serialized(deploymentId, async () => {
        if (!(percent >= 0 && percent <= 100)) throw new LocalTargetError('invalid_argument', `canary percent must be between 0 and 100 (got ${percent})`);
        const state = mustLoad(deploymentId);
        requireCanary(state, 'set its percent');
        await admin(state, 'POST', 'weight', { canaryPercent: percent });
        state.canaryPercent = percent;
        save(state);
      }),

    promote: (deploymentId) =>
      serialized(deploymentId, async () => {
        const state = mustLoad(deploymentId);
        requireCanary(state, 'promote it');
        await admin(state, 'POST', 'weight', { canaryPercent: 100 });
        state.canaryPercent = 100;
        state.promoted = true;
        save(state);
      }),

    rollback: (deploymentId) =>
      serialized(deploymentId, async () => {
        const state = load(deploymentId);
        if (!state) return { stableHealthy: false };
        const proxy = state.processes.proxy;
        const proxyAlive = proxy !== undefined && isRecordAlive(proxy);
        // 1. No new requests to the canary.
        if (proxyAlive && state.kind === 'canary') await admin(state, 'POST', 'upstreams', { canary: null });
        // 2. Stop the canary.
        if (state.processes.canary) {
          await stopRecord(state.processes.canary, graceMs);
          delete state.processes.canary;
        }
        if (state.kind === 'canary') {
          state.rolledBack = true;
          state.promoted = false;
          state.canaryPercent = 0;
        }
        save(state);
        // 3. Make sure stable serves: restart it (and the proxy, and the load aimed at the proxy) if it died.
        try {
          const stable = state.processes.stable;
          if (!stable || !isRecordAlive(stable)) {
            await startVersion(state, 'stable', state.versions.stable, state.kind === 'single' ? 'staging' : 'production');
            if (proxyAlive) {
              await admin(state, 'POST', 'upstreams', { stable: { url: `http://127.0.0.1:${state.processes.stable?.port}`, label: state.versions.stable.label } });
            }
          }
          if (!proxyAlive) {
            if (proxy) await stopRecord(proxy, graceMs);
            await startProxy(state);
            const loadgen = state.processes.loadgen;
            if (state.load && loadgen) {
              await stopRecord(loadgen, graceMs);
              await startLoad(state, 'loadgen', state.load);
            }
          }
        } catch (error) {
          console.error(`prpilot local target: rollback of ${deploymentId} could not restore stable: ${String(error)}`);
          return { stableHealthy: false };
        }
        // 4. Health through the proxy, a few tries.
        for (let attempt = 0; attempt < 5; attempt++) {
          const result = await httpCall(`${proxyUrl(state)}${state.service.healthPath}`, { timeoutMs: 2_000 });
          if (result.status === 200) return { stableHealthy: true };
          await sleep(200);
        }
        return { stableHealthy: false };
      }),

    stop,

    async stopAll() {
      await Promise.all([...owned].map((deploymentId) => stop(deploymentId)));
      await supervisor.stopAll();
    },

    async running() {
      return listStates(stateDir)
        .filter((state) => hasLiveProcess(state))
        .map((state) => state.deploymentId)
        .sort();
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1 (the service binds it next; a clash is retried). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
