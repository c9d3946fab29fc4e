/** Small file probes for the fault cases: markers the fixture scripts react to, and what they wrote. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readState } from '../../../targets/local/supervisor.js';
import type { DeploymentState } from '../../../targets/local/types.js';

/** A directory for one case's markers and traces, inside PRPILOT_HOME (so its processes count as the home's). */
export function caseDir(home: string, name: string): Promise<string> {
  return mkdtemp(path.join(home, `case-${name}-`));
}

export async function touch(dir: string, name: string): Promise<void> {
  await writeFile(path.join(dir, name), '');
}

/** Non-empty lines of a file; none if it does not exist yet. */
export async function lines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
}

/** The local target's state file of a deployment in this home, or null. */
export function localState(home: string, deploymentId: string): DeploymentState | null {
  return readState(path.join(home, 'deployments'), deploymentId);
}
