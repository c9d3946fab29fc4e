/**
 * Unsafe symlink: the change adds or retargets a symbolic link whose target is outside what was
 * reviewed, so whatever builds, tests, serves or deploys the tree reads (or writes) a file nobody saw.
 *
 *  1. `symlink-absolute`: the target is an absolute path (`/etc/passwd`, `C:\…`, `\\host\share`).
 *  2. `symlink-escapes-repo`: the target, resolved against the link's own directory with `.` and `..`
 *     normalised, climbs above the repository root (`config/x -> ../../outside.txt`).
 *  3. `symlink-sensitive`: the target stays inside the repository but lands in `.git/` (the checkout's
 *     config and hooks) or on a file that is usually kept out of git because it holds credentials
 *     (`.env`, `*.pem`, `*.key`, `id_rsa`, `.npmrc`, `.netrc`, `credentials.json`, `.ssh/`, `.aws/`): a link
 *     from a served directory would publish it.
 *  4. `symlink-unverified`: a file moved without a change whose type could not be looked up at head
 *     (activities/change/movedLinks.ts): it may be a link, so a human looks (fail closed).
 * Every file is checked, vendored and test code included: a link is dangerous wherever it sits. The
 * target is read from the diff (the added lines of a mode 120000 file) or, for a link moved without a
 * change, from the head commit by the activity; the link is never followed.
 */
import type { DiffFile } from '../diff.js';
import { evidence, type Evidence } from './lines.js';

export type SymlinkRule = 'symlink-absolute' | 'symlink-escapes-repo' | 'symlink-sensitive' | 'symlink-unverified';

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/]|\\\\)/;
const SECRET_FILE = /^(\.env(\.(?!(example|sample|template|dist|defaults?)$)[\w.-]+)?|.*\.(pem|key|p12|pfx|jks|keystore)|id_(rsa|dsa|ecdsa|ed25519)|\.npmrc|\.pypirc|\.netrc|\.pgpass|\.htpasswd|credentials(\.(json|ya?ml|toml|ini|xml))?)$/i;
const SECRET_DIR = new Set(['.git', '.ssh', '.aws', '.gnupg']);

export function detectUnsafeSymlinks(files: DiffFile[]): Evidence[] {
  const found: Evidence[] = [];
  for (const file of files) {
    if (file.linkUnverified) {
      found.push(evidence(file.path, undefined, 'symlink-unverified', `moved from ${file.oldPath ?? '(unknown)'}`));
      continue;
    }
    if (!file.symlink || file.added.length === 0) continue;
    const target = file.added.map((l) => l.text).join('\n');
    const rule = symlinkRule(file.path, target);
    if (rule) found.push(evidence(file.path, file.added[0], rule, target));
  }
  return found;
}

/** Why a link at `linkPath` (relative to the repository root) to `target` is unsafe, or null. */
export function symlinkRule(linkPath: string, target: string): SymlinkRule | null {
  if (target === '') return null;
  if (ABSOLUTE.test(target)) return 'symlink-absolute';
  const resolved = resolveInRepo(linkPath, target);
  if (resolved === null) return 'symlink-escapes-repo';
  const name = resolved[resolved.length - 1] ?? '';
  return resolved.some((part) => SECRET_DIR.has(part)) || SECRET_FILE.test(name) ? 'symlink-sensitive' : null;
}

/** The target's path segments from the repository root, or null when it climbs above the root. */
export function resolveInRepo(linkPath: string, target: string): string[] | null {
  const parts = linkPath.split('/').filter((p) => p !== '' && p !== '.').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts;
}
