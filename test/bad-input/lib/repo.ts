/** A throw-away git repository with one branch per bad change, built with the real git. */
import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A file's content, a symbolic link to `symlinkTo` (committed as a link, target not read), or null: the file is deleted. */
export type FileContent = string | Buffer | { symlinkTo: string } | null;

export const SERVICE_CONFIG = { service: { name: 'svc', start: ['node', 'server.js'] } };

export interface FixtureRepo {
  path: string;
  /** Commits `files` on a new branch `name` made from `from` (default main); returns the head sha. */
  branch(name: string, files: Record<string, FileContent>, options?: { from?: string; allowEmpty?: boolean; author?: string }): Promise<string>;
  /** Adds a commit with `files` to the existing branch `name` (a push to the PR); returns the new head sha. */
  commitOn(name: string, files: Record<string, FileContent>, author?: string): Promise<string>;
  sha(ref: string): Promise<string>;
  /** `git diff -M <range>`, as prpilot reads a change. */
  diff(range: string): Promise<string>;
}

export async function createRepo(parent: string, name = 'repo', baseFiles: Record<string, FileContent> = {
  'prpilot.config.json': `${JSON.stringify(SERVICE_CONFIG, null, 2)}\n`,
  'server.js': "import http from 'node:http';\nhttp.createServer((_, res) => res.end('ok')).listen(Number(process.env.PORT));\n",
  'app.js': 'export const answer = 1;\n',
}): Promise<FixtureRepo> {
  const dir = path.join(parent, name);
  await mkdir(dir, { recursive: true });
  const git = async (...args: string[]) => (await run('git', ['-C', dir, ...args], { maxBuffer: 1024 * 1024 })).stdout.trim();
  const commit = async (message: string, files: Record<string, FileContent>, author: string, allowEmpty: boolean) => {
    await writeFiles(dir, files);
    await git('add', '--all');
    await git('-c', `user.name=${author}`, '-c', `user.email=${author}@example.com`, 'commit', '--quiet', '--no-verify', '-m', message, ...(allowEmpty ? ['--allow-empty'] : []));
  };
  await git('init', '--quiet', '--initial-branch=main');
  await commit('base', baseFiles, 'maintainer', false);
  return {
    path: dir,
    async branch(branchName, files, options = {}) {
      await git('checkout', '--quiet', '-b', branchName, options.from ?? 'main');
      try {
        await commit(branchName, files, options.author ?? 'bob', options.allowEmpty ?? false);
        return await git('rev-parse', 'HEAD');
      } finally {
        await git('checkout', '--quiet', 'main');
      }
    },
    async commitOn(branchName, files, author = 'bob') {
      await git('checkout', '--quiet', branchName);
      try {
        await commit(`${branchName}: more`, files, author, false);
        return await git('rev-parse', 'HEAD');
      } finally {
        await git('checkout', '--quiet', 'main');
      }
    },
    sha: (ref) => git('rev-parse', ref),
    diff: (range) => git('diff', '--no-color', '-M', range),
  };
}

async function writeFiles(dir: string, files: Record<string, FileContent>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await rm(file, { force: true });
    if (content === null) continue;
    if (typeof content === 'object' && !Buffer.isBuffer(content)) await symlink(content.symlinkTo, file);
    else await writeFile(file, content);
  }
}
