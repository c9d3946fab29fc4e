import { stat } from 'node:fs/promises';
import path from 'node:path';
import { commitAuthor, commitSubject, diffRange, GitError, GitOutputTooLargeError, isGitRepo, MAX_DIFF_BYTES, resolveCommit } from '../activities/change/git.js';
import { checkDiffUsable, diffTooLargeReason } from '../activities/change/validateDiff.js';
import { CliError, UsageError } from './errors.js';
import type { GitHubClient } from '../github/client.js';
import { GitHubError } from '../github/errors.js';
import { fetchPullRequest, type PullRequestInfo } from '../github/pullRequest.js';
import { parseRepoSlug, repoSlug, type GitHubRepoName } from '../github/repo.js';

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
  const label = `the diff ${base}...${head}`;
  const raw = await diffRange(repoPath, baseSha, headSha).catch((error: unknown) => {
    throw error instanceof GitOutputTooLargeError ? new UsageError(diffTooLargeReason(label, error.limit)) : error;
  });
  const usable = checkDiffUsable(raw, label);
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

/** `--repo owner/name` names a GitHub repository, unless a local directory of that name exists. */
export async function githubRepoArg(repo: string): Promise<GitHubRepoName | null> {
  const slug = parseRepoSlug(repo);
  if (!slug) return null;
  return (await stat(path.resolve(repo)).catch(() => null)) ? null : slug;
}

/**
 * A GitHub PR, checked like a local range before anything starts: it exists and is open, any
 * --base/--head given still match it, and its diff is reviewable.
 */
export async function resolveGitHubPr(
  client: GitHubClient, repo: GitHubRepoName, prNumber: number, refs: { base?: string; head?: string },
): Promise<PullRequestInfo> {
  const pr = await fetchPullRequest(client, repo, prNumber).catch((error: unknown) => { throw cliGitHubError(error); });
  const label = `PR #${prNumber} of ${repoSlug(pr.repo)}`;
  if (pr.state !== 'open') throw new UsageError(`${label} is ${pr.state}: only open pull requests are taken to production`);
  if (refs.base && !sameRef(refs.base, pr.baseRef, pr.baseSha)) {
    throw new UsageError(`--base ${refs.base}: ${label} is based on ${pr.baseRef} (${pr.baseSha.slice(0, 12)}); drop --base or pass that`);
  }
  if (refs.head && !sameRef(refs.head, pr.headRef, pr.headSha)) {
    throw new UsageError(`--head ${refs.head}: ${label}'s head is ${pr.headRef} at ${pr.headSha.slice(0, 12)}; drop --head or pass that`);
  }
  return pr;
}

/** The PR's diff through the API, checked as a local diff is; each problem a usage error. */
export async function checkGitHubDiff(client: GitHubClient, pr: PullRequestInfo): Promise<void> {
  const raw = await client.compareDiff(pr.repo, pr.baseSha, pr.headSha, MAX_DIFF_BYTES).catch((error: unknown) => { throw cliGitHubError(error); });
  const usable = checkDiffUsable(raw, `the diff of PR #${pr.number} of ${repoSlug(pr.repo)}`);
  if (!usable.ok) throw new UsageError(usable.reason);
}

function sameRef(given: string, ref: string, sha: string): boolean {
  return given === ref || (given.length >= 7 && /^[0-9a-f]+$/.test(given) && sha.startsWith(given));
}

/** A wrong repository or PR number, or a PR too large to review, is the user's to fix (exit 2); a bad token, no access or an outage is not (exit 1). */
export function cliGitHubError(error: unknown): Error {
  if (!(error instanceof GitHubError)) return error instanceof Error ? error : new Error(String(error));
  return error.kind === 'not_found' || error.kind === 'too_large' ? new UsageError(error.message, { cause: error }) : new CliError(error.message, { cause: error });
}
