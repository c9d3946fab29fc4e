/**
 * A throw-away git repo of examples/demo-service for the fault cases, with one branch per kind of head:
 *   pr/clean        the demo's clean PR (a greeting change): deploys when nothing goes wrong
 *   pr/clean-v2     pr/clean plus one more commit: the revision pushed during a canary
 *   pr/bad          the demo's bad PR: ~25% errors in production only, so its canary is rolled back
 *   pr/unhealthy    /health answers 503 in production only: staging passes, the canary never starts
 *   pr/slow-start   listens only 4 s after starting in production: a window to crash a worker while the canary starts
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { baseRepoFiles, demoPullRequests } from '../../../examples/demo-service/pr-changes/index.js';

const run = promisify(execFile);

export type FaultBranch = 'pr/clean' | 'pr/clean-v2' | 'pr/bad' | 'pr/unhealthy' | 'pr/slow-start';

export interface FaultRepo {
  path: string;
  /** The commit each branch points at. */
  sha(branch: FaultBranch | 'main'): Promise<string>;
}

export async function buildFaultRepo(parent: string): Promise<FaultRepo> {
  const repo = await mkdtemp(path.join(parent, 'repo-'));
  const git = (...args: string[]) => run('git', ['-C', repo, ...args]);
  const commit = async (author: string, message: string, files: Record<string, string | null>) => {
    for (const [relative, content] of Object.entries(files)) {
      if (content === null) continue;
      await mkdir(path.dirname(path.join(repo, relative)), { recursive: true });
      await writeFile(path.join(repo, relative), content);
    }
    await git('add', '--all');
    await git('-c', `user.name=${author}`, '-c', `user.email=${author}@example.com`, 'commit', '--quiet', '-m', message);
  };
  const demo = (key: 'clean' | 'bad') => {
    const pr = demoPullRequests.find((candidate) => candidate.key === key);
    if (!pr) throw new Error(`the demo has no ${key} PR any more`);
    return pr;
  };

  await git('init', '--quiet', '--initial-branch=main');
  await commit('maintainer', 'demo-service: initial version', baseRepoFiles());

  await git('checkout', '--quiet', '-b', 'pr/clean', 'main');
  await commit('alice', demo('clean').title, demo('clean').files);
  await git('checkout', '--quiet', '-b', 'pr/clean-v2', 'pr/clean');
  const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
  await commit('alice', 'Mention the new greeting in the README', { 'README.md': `${readme}\nThe home endpoint now says "Welcome".\n` });

  await git('checkout', '--quiet', '-b', 'pr/bad', 'main');
  await commit('carol', demo('bad').title, demo('bad').files);

  await git('checkout', '--quiet', '-b', 'pr/unhealthy', 'main');
  const app = await readFile(path.join(repo, 'src/app.js'), 'utf8');
  const healthy = "if (path === '/health') return { status: 200, body: { status: 'ok' } };";
  if (app.split(healthy).length !== 2) throw new Error(`the demo's src/app.js no longer has ${JSON.stringify(healthy)} once: update ${import.meta.url}`);
  await commit('dave', 'Warm the cache before answering health checks', {
    'src/app.js': app.replace(healthy, () => "if (path === '/health') return serviceEnv === 'production' ? { status: 503, body: { status: 'warming up' } } : { status: 200, body: { status: 'ok' } };"),
  });

  await git('checkout', '--quiet', '-b', 'pr/slow-start', 'main');
  const server = await readFile(path.join(repo, 'server.js'), 'utf8');
  const listen = 'server.listen(port, host, () => {';
  if (server.split(listen).length !== 2) throw new Error(`the demo's server.js no longer has ${JSON.stringify(listen)} once: update ${import.meta.url}`);
  await commit('erin', 'Load the order cache before listening', {
    'server.js': `${server.replace(listen, () => `const listenNow = () => ${listen}`)}\nsetTimeout(listenNow, serviceEnv === 'production' ? 4000 : 0);\n`,
  });

  await git('checkout', '--quiet', 'main');
  return {
    path: repo,
    async sha(branch) {
      return (await git('rev-parse', branch)).stdout.trim();
    },
  };
}
