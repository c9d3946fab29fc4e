/**
 * Prometheus file-based service discovery for the local target: one file per deployment,
 * <dir>/<encoded deploymentId>.json, listing each service process that answers (stable, canary, or the
 * single staging version) as `127.0.0.1:<port>` with the labels `deployment`, `version` (the version's
 * label) and `service`. A Prometheus with
 *
 *   scrape_configs:
 *     - job_name: prpilot
 *       file_sd_configs: [{ files: ['<dir>/*.json'] }]
 *
 * scrapes them as they come and go. Files are replaced atomically (temp file + rename), so Prometheus
 * never reads half a file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentState } from './types.js';

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

export function prometheusTargetsFile(dir: string, deploymentId: string): string {
  return join(dir, `${encodeURIComponent(deploymentId)}.json`);
}

/** The service processes of a deployment that have a port (i.e. answered their health check). */
export function prometheusTargetGroups(state: DeploymentState): FileSdGroup[] {
  const groups: FileSdGroup[] = [];
  for (const role of ['stable', 'canary'] as const) {
    const port = state.processes[role]?.port;
    const version = state.versions[role];
    if (port == null || !version) continue;
    groups.push({
      targets: [`127.0.0.1:${port}`],
      labels: { deployment: state.deploymentId, version: version.label, service: state.service.name },
    });
  }
  return groups;
}

/** Writes the deployment's file if its content changed. */
export function writePrometheusTargets(dir: string, state: DeploymentState): void {
  const path = prometheusTargetsFile(dir, state.deploymentId);
  const text = `${JSON.stringify(prometheusTargetGroups(state), null, 2)}\n`;
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch {
    // not written yet
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function removePrometheusTargets(dir: string, deploymentId: string): void {
  rmSync(prometheusTargetsFile(dir, deploymentId), { force: true });
}

/**
 * Removes the files of deployments that have no state file any more (stopped by reapOrphans, or by a
 * process that died between the two removals). The state file is written before and removed after the
 * targets file, so a targets file without one is always stale.
 */
export function pruneStalePrometheusTargets(dir: string, stateDir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.endsWith('.json')) continue;
    if (!existsSync(join(stateDir, entry))) rmSync(join(dir, entry), { force: true });
  }
}
