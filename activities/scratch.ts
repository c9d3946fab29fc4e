import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { RepoRef } from '../workflows/input.js';
import { exportTree } from './change/git.js';
import { exportGitHubTree } from './github/source.js';

/** A private copy of one commit's tree for one use; the caller removes it with the returned function. */
export async function checkout(scratchRoot: string, repo: RepoRef, sha: string, purpose: string) {
  const dir = path.join(scratchRoot, `${purpose}-${sha.slice(0, 12)}-${process.pid}-${Date.now()}`);
  if (repo.kind === 'github') await exportGitHubTree(repo, sha, dir);
  else await exportTree(repo.path, sha, dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
