import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The prpilot checkout itself (bin/, workflows/, ...), wherever the CLI is run from. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Local state: artifacts, deploy state, logs, the dev server's database. Shared by CLI and worker. */
export function prpilotHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PRPILOT_HOME ?? path.join(PROJECT_ROOT, '.prpilot'));
}

export function homePaths(home = prpilotHome()) {
  return {
    home,
    artifacts: path.join(home, 'artifacts'),
    deployments: path.join(home, 'deployments'),
    logs: path.join(home, 'logs'),
    baselines: path.join(home, 'baselines'),
    scratch: path.join(home, 'scratch'),
    devDatabase: path.join(home, 'temporal-dev.sqlite'),
    notifications: path.join(home, 'notifications.log'),
    /** file_sd target lists of running deployments, for a Prometheus that scrapes them */
    prometheusTargets: path.join(home, 'prometheus-targets'),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;
