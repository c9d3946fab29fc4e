import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../config/paths.js';

export type BinaryKind = 'cli' | 'test-server';

/**
 * Where the Temporal binary is, by scripts/ensure-temporal (the one place that knows the order:
 * env, PATH, .prpilot/bin, PyPI wheel). `null` means none here: use @temporalio/testing's download.
 */
export async function temporalBinary(kind: BinaryKind): Promise<{ path: string | null; source: string }> {
  const script = path.join(PROJECT_ROOT, 'scripts', 'ensure-temporal');
  const { stdout, stderr } = await promisify(execFile)(script, ['--print-path', kind], { env: process.env });
  const found = stdout.trim();
  return { path: found === 'download' || found === '' ? null : found, source: stderr.trim().split('\n').at(-1) ?? '' };
}
