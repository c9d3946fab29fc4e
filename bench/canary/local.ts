/**
 * Real canaries for the benchmarks: the local deploy target (real processes, weighted proxy, load
 * generator) in the benchmark's temp dir, with the production canary defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryConfigSchema, serviceConfigSchema, type CanaryConfig, type ServiceConfig } from '../../config/schema.js';
import { demoServiceDir } from '../../examples/demo-service/pr-changes/index.js';
import { createLocalTarget } from '../../targets/local/target.js';
import type { LocalTarget } from '../../targets/local/types.js';
import type { Workspace } from './workspace.js';

/** The canary config every benchmark uses: the defaults of config/schema.ts (5% for 600 s, judged every 10 s, 100 req/s). */
export const defaultCanary: CanaryConfig = canaryConfigSchema.parse({});

/** The demo service's `service` section (start command, health path, traffic paths). */
export function demoService(): ServiceConfig {
  const config = JSON.parse(readFileSync(join(demoServiceDir, 'prpilot.config.json'), 'utf8')) as { service: unknown };
  return serviceConfigSchema.parse(config.service);
}

/** A local target whose deployments are all stopped when the workspace is cleaned up. */
export function benchTarget(workspace: Workspace, options: { prometheusTargetsDir?: string } = {}): LocalTarget {
  const target = createLocalTarget({
    stateDir: join(workspace.root, 'state'),
    logDir: join(workspace.root, 'logs'),
    graceMs: 2_000,
    prometheusTargetsDir: options.prometheusTargetsDir,
  });
  workspace.onCleanup(() => target.stopAll());
  return target;
}

export interface StartedCanary {
  deploymentId: string;
  /** When the canary's weight was set and its load began: the step's start, as the workflow records it. */
  sinceEpochMs: number;
}

/** Starts stable and canary from their dirs behind the proxy at the canary config's percent and load. */
export async function startCanary(
  target: LocalTarget, deploymentId: string, dirs: { stable: string; canary: string }, canary: CanaryConfig = defaultCanary,
): Promise<StartedCanary> {
  const service = demoService();
  await target.startCanary(deploymentId, {
    stable: { label: 'stable', dir: dirs.stable },
    canary: { label: 'canary', dir: dirs.canary },
    service,
    percent: canary.percent,
    requestsPerSecond: canary.requestsPerSecond,
    paths: service.trafficPaths,
  });
  // activities/deployment/canary.ts takes the step's start the same way: right after startCanary returns.
  return { deploymentId, sinceEpochMs: Date.now() };
}
