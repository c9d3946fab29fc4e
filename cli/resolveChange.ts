import { stat } from 'node:fs/promises';
import path from 'node:path';
import { commitAuthor, commitSubject, diffRange, GitError, isGitRepo, resolveCommit } from '../activities/change/git.js';
import { checkDiffUsable } from '../activities/change/validateDiff.js';
import { UsageError } from './errors.js';

export interface ResolvedChange {
  repoPath: string;
  repoName: string;
  baseSha: string;
  headSha: string;
  diff: string;
  headSubject: string;
  headAuthor: string;
}

/** Checks everything about a repo range before anything starts; each problem is a usage error naming it. */
export async function resolveChange(repo: string, base: string, head: string): Promise<ResolvedChange> {
  const repoPath = path.resolve(repo);
  const info = await stat(repoPath).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`--repo ${repo}: no such directory`);
  if (!(await isGitRepo(repoPath))) throw new UsageError(`--repo ${repo}: not a git repository`);
  const [baseSha, headSha] = await Promise.all([resolveRef(repoPath, base, '--base'), resolveRef(repoPath, head, '--head')]);
  if (baseSha === headSha) {
    throw new UsageError(`--base ${base} and --head ${head} are the same commit (${baseSha.slice(0, 12)}): there is no change`);
  }
  const raw = await diffRange(repoPath, baseSha, headSha);
  const usable = checkDiffUsable(raw, `the diff ${base}...${head}`);
  if (!usable.ok) throw new UsageError(usable.reason);
  const [headSubject, headAuthor] = await Promise.all([commitSubject(repoPath, headSha), commitAuthor(repoPath, headSha)]);
  return { repoPath, repoName: path.basename(repoPath), baseSha, headSha, diff: usable.text, headSubject, headAuthor };
}

async function resolveRef(repoPath: string, ref: string, flag: string): Promise<string> {
  try {
    return await resolveCommit(repoPath, ref);
  } catch (error) {
    if (error instanceof GitError) throw new UsageError(`${flag} ${ref}: ${error.message}`);
    throw error;
  }
}

/** DESIGN.md: `pr-local-<dirname>-<number>`, or `pr-local-<dirname>-<head sha 12>` without `--pr`. */
export function localWorkflowId(repoName: string, prNumber: number | null, headSha: string): string {
  const safeName = repoName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `pr-local-${safeName}-${prNumber ?? headSha.slice(0, 12)}`;
}
