/**
 * Types of the local deploy target, and zod schemas for everything that crosses a process boundary:
 * the proxy's and load generator's start configs, the proxy admin API bodies, and the state file.
 */
import { z } from 'zod';
import type { ServiceConfig } from '../../config/schema.js';

// ---------------------------------------------------------------------------------------------
// Public API

export interface VersionSpec {
  /** e.g. 'stable', 'canary', 'staging', 'baseline'; passed to the service as SERVICE_VERSION */
  label: string;
  /** checked-out source directory; the service's start argv runs here */
  dir: string;
  /** extra environment; overrides PORT/SERVICE_ENV/SERVICE_VERSION defaults if it sets them */
  env?: Record<string, string>;
}

export const trafficStatsSchema = z.object({
  requests: z.number().int().min(0),
  /** responses with status ≥ 500, plus 502 for upstream connection errors and 499 for client timeouts */
  errors: z.number().int().min(0),
  errorRate: z.number().min(0).max(1),
  p50Ms: z.number().min(0),
  p99Ms: z.number().min(0),
  /** up to 2000 latencies spread evenly over the window, in completion order */
  latencySampleMs: z.array(z.number().min(0)),
});
export type TrafficStats = z.infer<typeof trafficStatsSchema>;

export interface SmokeResult {
  path: string;
  /** HTTP status, or 0 when no response arrived */
  status: number;
  ok: boolean;
  ms: number;
}

export interface MeasureOptions {
  requestsPerSecond: number;
  windowSeconds: number;
  paths: string[];
  onProgress?: (elapsedSeconds: number) => void;
}

export interface CanarySpec {
  stable: VersionSpec;
  canary: VersionSpec;
  service: ServiceConfig;
  percent: number;
  requestsPerSecond: number;
  paths: string[];
}

export interface LocalTarget {
  /**
   * Start one version behind a proxy (100% to it) and wait until healthPath answers 200.
   * Idempotent per deploymentId: if already running and healthy, returns the same handle.
   */
  startSingle(deploymentId: string, version: VersionSpec, service: ServiceConfig): Promise<{ url: string }>;
  /** GET each smoke path once through the proxy. */
  smoke(deploymentId: string, paths: string[]): Promise<SmokeResult[]>;
  /**
   * Load at requestsPerSecond for windowSeconds, onProgress about once a second, then stats per version
   * over exactly that window (single deployments: keyed by the version label; canary: 'stable'/'canary').
   */
  measure(deploymentId: string, opts: MeasureOptions): Promise<Record<string, TrafficStats>>;
  /** Start stable + canary + proxy at percent + a load generator. Idempotent per deploymentId. */
  startCanary(deploymentId: string, spec: CanarySpec): Promise<{ url: string }>;
  /** Stats per version for requests completed since sinceEpochMs, until untilEpochMs or now (see measure for the keys). */
  stats(deploymentId: string, sinceEpochMs: number, untilEpochMs?: number): Promise<Record<string, TrafficStats>>;
  setCanaryPercent(deploymentId: string, percent: number): Promise<void>;
  /** Send 100% to canary. Idempotent. */
  promote(deploymentId: string): Promise<void>;
  /**
   * 0% to canary, stop the canary; stable keeps serving (restarted, with its proxy, if it had died).
   * Idempotent, also from the state file alone after a crash. Returns whether stable answered health.
   */
  rollback(deploymentId: string): Promise<{ stableHealthy: boolean }>;
  /** Stop every process of the deployment. Idempotent; unknown id is fine. */
  stop(deploymentId: string): Promise<void>;
  /** Stop every deployment this target started or adopted (worker shutdown). */
  stopAll(): Promise<void>;
  /** Deployment ids in the state directory with at least one live process. */
  running(): Promise<string[]>;
}

export type LocalTargetErrorCode =
  | 'start_failed' // a process exited before it was ready
  | 'start_timeout' // not ready within the timeout
  | 'unknown_deployment' // no such deployment (not started, or stopped)
  | 'not_running' // the deployment's processes are gone
  | 'invalid_argument';

/** Errors of the local target; `code` lets the activity layer choose retryable or not. */
export class LocalTargetError extends Error {
  override readonly name = 'LocalTargetError';
  constructor(
    readonly code: LocalTargetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Proxy (child process): start config and admin API under /__prpilot/

export const ADMIN_PREFIX = '/__prpilot/';

export const slotSchema = z.enum(['stable', 'canary']);
export type Slot = z.infer<typeof slotSchema>;

export const upstreamSchema = z.strictObject({
  url: z.url(),
  label: z.string().min(1),
});
export type Upstream = z.infer<typeof upstreamSchema>;

export const percentSchema = z.number().min(0).max(100);

export const proxyConfigSchema = z.strictObject({
  stable: upstreamSchema,
  canary: upstreamSchema.nullable().default(null),
  canaryPercent: percentSchema.default(0),
  /** ring buffer size of request records */
  maxRecords: z.number().int().min(1000).max(5_000_000).default(200_000),
  /** upstream response timeout; answered 504 */
  upstreamTimeoutMs: z.number().int().min(100).default(10_000),
});
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
export type ProxyConfigInput = z.input<typeof proxyConfigSchema>;

/** POST /__prpilot/weight */
export const weightBodySchema = z.strictObject({ canaryPercent: percentSchema });

/** POST /__prpilot/upstreams: a field left out is unchanged; canary null removes it (and sets 0%). */
export const upstreamsBodySchema = z.strictObject({
  stable: upstreamSchema.optional(),
  canary: upstreamSchema.nullable().optional(),
});

/** GET /__prpilot/stats?since=<epoch ms>[&until=<epoch ms>] */
export const statsResponseSchema = z.strictObject({
  now: z.number(),
  since: z.number(),
  until: z.number(),
  canaryPercent: percentSchema,
  versions: z.strictObject({
    stable: trafficStatsSchema.extend({ label: z.string() }),
    canary: trafficStatsSchema.extend({ label: z.string() }).nullable(),
  }),
});
export type StatsResponse = z.infer<typeof statsResponseSchema>;

/** GET /__prpilot/config */
export const proxyStateSchema = z.strictObject({
  stable: upstreamSchema,
  canary: upstreamSchema.nullable(),
  canaryPercent: percentSchema,
  recorded: z.number().int().min(0),
});

/** First stdout line of the proxy and of the load generator. */
export const listeningLineSchema = z.object({ event: z.literal('listening'), port: z.number().int().min(1).max(65535) });

// ---------------------------------------------------------------------------------------------
// Load generator (child process)

export const loadgenConfigSchema = z.strictObject({
  /** base URL, e.g. the proxy's http://127.0.0.1:PORT */
  url: z.url(),
  paths: z.array(z.string().startsWith('/')).min(1),
  requestsPerSecond: z.number().min(0.1).max(20_000),
  /** stop after this many seconds; absent: run until SIGTERM */
  durationSeconds: z.number().positive().optional(),
  maxInFlight: z.number().int().min(1).default(256),
  timeoutMs: z.number().int().min(100).default(5_000),
});
export type LoadgenConfig = z.infer<typeof loadgenConfigSchema>;
export type LoadgenConfigInput = z.input<typeof loadgenConfigSchema>;

// ---------------------------------------------------------------------------------------------
// State file: <stateDir>/<encoded deploymentId>.json

/** loadgen: the canary's steady load; measure: the load of a running measure() call */
export const processRoleSchema = z.enum(['proxy', 'stable', 'canary', 'loadgen', 'measure']);
export type ProcessRole = z.infer<typeof processRoleSchema>;

export const processRecordSchema = z.strictObject({
  /** also the process group id: every child is started as a group leader */
  pid: z.number().int().positive(),
  port: z.number().int().min(0).max(65535).nullable(),
  logFile: z.string(),
  startedAt: z.number(),
  /** Linux start time in clock ticks, to recognise a reused pid; null where unknown */
  startTicks: z.number().nullable(),
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export const versionSpecSchema = z.strictObject({
  label: z.string().min(1),
  dir: z.string().min(1),
  env: z.record(z.string(), z.string()).optional(),
});

export const serviceStateSchema = z.strictObject({
  name: z.string(),
  start: z.array(z.string()).min(1),
  healthPath: z.string(),
  smokePaths: z.array(z.string()),
  trafficPaths: z.array(z.string()),
  startTimeoutSeconds: z.number(),
});

export const deploymentStateSchema = z.strictObject({
  schemaVersion: z.literal(1),
  deploymentId: z.string().min(1),
  kind: z.enum(['single', 'canary']),
  /** pid of the process that owns these children; when it is dead, reapOrphans may stop them */
  supervisorPid: z.number().int().positive(),
  supervisorStartTicks: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  service: serviceStateSchema,
  versions: z.strictObject({ stable: versionSpecSchema, canary: versionSpecSchema.nullable() }),
  canaryPercent: percentSchema,
  load: z.strictObject({ requestsPerSecond: z.number(), paths: z.array(z.string()) }).nullable(),
  processes: z.partialRecord(processRoleSchema, processRecordSchema),
  promoted: z.boolean(),
  rolledBack: z.boolean(),
});
export type DeploymentState = z.infer<typeof deploymentStateSchema>;
