import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { spawn } from 'node:child_process';

const execFileAsync = promisify(execFile);
export const MAX_DIFF_BYTES = 64 * 1024 * 1024;

export class GitError extends Error {}

/** git printed more than `limit` bytes (and was stopped): for a diff, more than any agent reviews. */
export class GitOutputTooLargeError extends GitError {
  constructor(readonly limit: number, args: string[]) {
    super(`git ${args.join(' ')} printed more than ${limit} bytes`);
  }
}

async function git(repo: string, args: string[], maxBuffer = 16 * 1024 * 1024): Promise<Buffer> {
  try {
    const { stdout } = await execFileAsync('git', ['-C', repo, ...args], { encoding: 'buffer', maxBuffer });
    return stdout;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') throw new GitOutputTooLargeError(maxBuffer, args);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    throw new GitError(`git ${args.join(' ')} in ${repo} failed: ${stderr || String(error)}`);
  }
}

export async function isGitRepo(repo: string): Promise<boolean> {
  return git(repo, ['rev-parse', '--is-inside-work-tree']).then(() => true, () => false);
}

/** Full commit sha of `ref`, or a GitError naming the ref. */
export async function resolveCommit(repo: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new GitError(`not a git ref: ${JSON.stringify(ref)}`);
  const out = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => null);
  const sha = out?.toString('utf8').trim();
  if (!sha) throw new GitError(`unknown git ref ${JSON.stringify(ref)} in ${repo}`);
  return sha;
}

/**
 * The PR's change: what head adds on top of the merge base with base (as a PR shows it). Over
 * `limit` bytes it is a GitOutputTooLargeError: callers say so with `diffTooLargeReason`.
 */
export async function diffRange(repo: string, baseSha: string, headSha: string, limit = MAX_DIFF_BYTES): Promise<Buffer> {
  return git(repo, ['diff', '--no-color', '--no-ext-diff', '--binary', '-M', `${baseSha}...${headSha}`], limit);
}

const LS_TREE_ENTRY = /^(\d{6}) \w+ ([0-9a-f]+)\t(.*)$/s;
const PATHS_PER_CALL = 200;

/**
 * The symbolic links among `paths` at commit `sha`, each with its target (as git stores it, never
 * followed); paths that are not links, or not there, are left out.
 */
export async function symlinkTargets(repo: string, sha: string, paths: string[]): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  for (let start = 0; start < paths.length; start += PATHS_PER_CALL) {
    // --literal-pathspecs: a file named `*.md` or `:(top)x` names itself, not a pattern.
    const listing = await git(repo, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', sha, '--', ...paths.slice(start, start + PATHS_PER_CALL)]);
    for (const entry of listing.toString('utf8').split('\0')) {
      const [, mode, blob, path] = LS_TREE_ENTRY.exec(entry) ?? [];
      if (mode === '120000' && blob && path) targets.set(path, (await git(repo, ['cat-file', 'blob', blob])).toString('utf8'));
    }
  }
  return targets;
}

export async function commitSubject(repo: string, sha: string): Promise<string> {
  return (await git(repo, ['log', '-1', '--format=%s', sha])).toString('utf8').trim();
}

export async function commitAuthor(repo: string, sha: string): Promise<string> {
  return (await git(repo, ['log', '-1', '--format=%ae', sha])).toString('utf8').trim();
}

/** Exports the tree of `sha` into `dir` (no .git, the user's repo is not touched). */
export async function exportTree(repo: string, sha: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['-C', repo, 'archive', '--format=tar', sha], { stdio: ['ignore', 'pipe', 'pipe'] });
    const untar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    archive.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    untar.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    archive.stdout.pipe(untar.stdin);
    let pending = 2;
    const done = (code: number | null) => {
      if (code !== 0) reject(new GitError(`exporting ${sha} from ${repo} failed: ${errors.trim()}`));
      else if (--pending === 0) resolve();
    };
    archive.on('close', done);
    untar.on('close', done);
    archive.on('error', reject);
    untar.on('error', reject);
  });
}
