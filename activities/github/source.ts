/**
 * A GitHub repository's code and diffs for the activities, fetched through the API: the tree of a
 * commit as a tarball (what `git archive` gives for a local repo), the PR's diff from the compare API.
 */
import { Context } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GitHubClientFactory } from '../../github/client.js';
import { githubClientFactoryFromEnv } from '../../github/fromEnv.js';
import type { GitHubRepoName } from '../../github/repo.js';
import { githubFailure, notConfigured } from './failure.js';

/** The factory for the worker's environment, built on first use (activities that predate injection use it). */
let fromEnv: GitHubClientFactory | null | undefined;
export function workerGitHub(): GitHubClientFactory | null {
  if (fromEnv === undefined) fromEnv = githubClientFactoryFromEnv();
  return fromEnv;
}

/** Exports the tree of `sha` into `dir`, like exportTree does from a local repo. Failures are Temporal failures. */
export async function exportGitHubTree(repo: GitHubRepoName, sha: string, dir: string, github = workerGitHub()): Promise<void> {
  if (!github) throw notConfigured(`checking out ${sha.slice(0, 12)} of ${repo.owner}/${repo.name}`);
  const signal = activitySignal();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await whileHeartbeating(async () => extractTarball(await github(repo).tarball(repo, sha, signal), dir));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw githubFailure(error);
  }
}

/** The PR's diff (head against its merge base with base), as GitHub computes it. */
export async function githubDiff(repo: GitHubRepoName, baseSha: string, headSha: string, maxBytes: number, github = workerGitHub()): Promise<Buffer> {
  if (!github) throw notConfigured(`reading the diff of ${repo.owner}/${repo.name}`);
  try {
    return await github(repo).compareDiff(repo, baseSha, headSha, maxBytes, activitySignal());
  } catch (error) {
    throw githubFailure(error);
  }
}

/**
 * The symbolic links among `paths` at `sha`, with their targets (see activities/change/movedLinks.ts).
 * A path GitHub did not list because the tree is too large to list is `null`: it may be a link.
 */
export async function githubSymlinkTargets(repo: GitHubRepoName, sha: string, paths: string[], github = workerGitHub()): Promise<Map<string, string | null>> {
  if (!github) throw notConfigured(`looking up moved files in ${repo.owner}/${repo.name}`);
  try {
    const client = github(repo);
    const tree = await client.getTree(repo, sha);
    const entries = new Map(tree.tree.map((entry) => [entry.path, entry]));
    const links = new Map<string, string | null>();
    for (const path of paths) {
      const entry = entries.get(path);
      if (entry?.mode === '120000') links.set(path, await client.getBlobText(repo, entry.sha));
      else if (!entry && tree.truncated) links.set(path, null);
    }
    return links;
  } catch (error) {
    throw githubFailure(error);
  }
}

/** GitHub's tarballs hold one top folder (`owner-repo-sha/`); it is stripped so `dir` is the tree's root. */
async function extractTarball(tarball: Readable, dir: string): Promise<void> {
  const tar = spawn('tar', ['-xz', '--strip-components=1', '--no-same-owner', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let errors = '';
  tar.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', resolve);
  });
  await pipeline(tarball, tar.stdin).catch(async (error: unknown) => {
    tar.kill();
    await exited.catch(() => null);
    throw error;
  });
  const code = await exited;
  if (code !== 0) throw new Error(`extracting the tarball into ${dir} failed (tar exited with ${code}): ${errors.trim()}`);
}

function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity (a script, a test)
  }
}

function activitySignal(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** A large download must not outlast the calling activity's heartbeat timeout. */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = activityContext();
  const ticker = context ? setInterval(() => context.heartbeat(), 5_000) : null;
  try {
    return await work();
  } finally {
    if (ticker) clearInterval(ticker);
  }
}
