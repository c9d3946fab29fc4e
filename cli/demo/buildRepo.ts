import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { baseRepoFiles, demoPullRequests, type DemoPullRequest } from '../../examples/demo-service/pr-changes/index.js';

const run = promisify(execFile);

export interface DemoRepo {
  path: string;
  base: string;
  branches: { pr: DemoPullRequest; branch: string; number: number }[];
}

const FIRST_PR_NUMBER = 101;

/** A throw-away git repo of examples/demo-service with one branch per demo PR. */
export async function buildDemoRepo(parent = tmpdir()): Promise<DemoRepo> {
  const repo = await mkdtemp(path.join(parent, 'prpilot-demo-'));
  const git = (...args: string[]) => run('git', ['-C', repo, ...args]);
  const identity = (name: string) => ['-c', `user.name=${name}`, '-c', `user.email=${name}@example.com`];
  await git('init', '--quiet', '--initial-branch=main');
  await writeFiles(repo, baseRepoFiles());
  await git('add', '--all');
  await git(...identity('maintainer'), 'commit', '--quiet', '-m', 'demo-service: initial version');
  const branches: DemoRepo['branches'] = [];
  for (const [index, pr] of demoPullRequests.entries()) {
    const branch = `pr/${pr.key}`;
    await git('checkout', '--quiet', '-b', branch, 'main');
    await writeFiles(repo, pr.files);
    await git('add', '--all');
    await git(...identity(pr.author), 'commit', '--quiet', '-m', pr.title);
    branches.push({ pr, branch, number: FIRST_PR_NUMBER + index });
  }
  await git('checkout', '--quiet', 'main');
  return { path: repo, base: 'main', branches };
}

async function writeFiles(repo: string, files: Record<string, string | null>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(repo, relative);
    if (content === null) {
      await rm(file, { force: true });
    } else {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
}
