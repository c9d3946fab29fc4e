import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../config/paths.js';
import { sourcesSha256 } from './sourceHash.js';

/**
 * Workers start fast with workflow code bundled ahead of time (`npm run build`). The bundle records
 * the hash of the sources it was built from; a stale bundle is never used, the worker bundles afresh.
 */
export const BUNDLE_FILE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
/**
 * Modules loaded once and shared by every workflow of a worker (the SDK's reused V8 context; it
 * deep-freezes their exports). zod keeps no per-workflow state, and an instance of it per cached workflow
 * was most of that workflow's memory: 1.15 MB a workflow before, 0.44 MB after (docs/scaling.md). Our own
 * schema modules cannot be shared: zod defines a schema's methods lazily, which a frozen schema refuses.
 */
export const SHARED_WORKFLOW_MODULES: string[] = [fileURLToPath(new URL('./sharedZod.ts', import.meta.url))];

/** Bundler options every bundle of our workflow code uses: ahead of time, at worker start, in tests. */
export const WORKFLOW_BUNDLER_OPTIONS = { preloadModules: SHARED_WORKFLOW_MODULES };

/** Everything the workflow bundle is built from. */
const SOURCE_DIRS = ['workflows', 'config', 'activities', 'workers'];

/** The sources, and the lock file: upgrading @temporalio/workflow or zod also makes the bundle stale. */
export async function workflowSourcesSha256(): Promise<string> {
  const lock = await readFile(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8').catch(() => '');
  return createHash('sha256').update(await sourcesSha256(SOURCE_DIRS)).update(lock).digest('hex');
}

export async function buildWorkflowBundle(workflowsPath: string, file = BUNDLE_FILE): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, ...WORKFLOW_BUNDLER_OPTIONS });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, code);
  await rename(`${file}.tmp`, file);
  await writeFile(`${file}.sha256`, await workflowSourcesSha256());
  return file;
}

/** The prebuilt bundle's code if it was built from the current sources, else null. */
export async function freshPrebuiltBundle(file = BUNDLE_FILE): Promise<{ code: string } | null> {
  const [recorded, current] = await Promise.all([readFile(`${file}.sha256`, 'utf8').catch(() => null), workflowSourcesSha256()]);
  if (recorded?.trim() !== current) return null;
  const code = await readFile(file, 'utf8').catch(() => null);
  return code === null ? null : { code };
}
