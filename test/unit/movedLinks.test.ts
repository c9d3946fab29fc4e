/**
 * A symbolic link moved without a change (a 100% rename) shows no mode and no target in a diff. The
 * change is analysed with the head commit's view of the moved files, from a real git repository and
 * from GitHub's git data API (the stub serves the same repository), so such a link is checked like an
 * added one, and a moved file that cannot be looked up escalates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { analyzeChange, analyzeDiff } from '../../activities/change/analyze.js';
import { diffRange, symlinkTargets } from '../../activities/change/git.js';
import { revealMovedLinks, unchangedMoves } from '../../activities/change/movedLinks.js';
import { githubSymlinkTargets } from '../../activities/github/source.js';
import { createGitHubClient } from '../../github/client.js';
import { parseUnifiedDiff } from '../../workflows/policy/diff.js';
import { startGitHubStub, type GitHubStub } from '../stub/githubStub.js';

const run = promisify(execFile);
const REPO = { owner: 'acme', name: 'links' };

describe('links moved without a change', () => {
  let dir: string;
  let base: string;
  let head: string;
  let diff: string;
  let stub: GitHubStub;
  const git = async (...args: string[]) => (await run('git', ['-C', dir, ...args])).stdout.trim();
  const commit = (message: string) => git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', message);
  const link = async (target: string, at: string) => {
    await mkdir(path.dirname(path.join(dir, at)), { recursive: true });
    await symlink(target, path.join(dir, at));
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'prpilot-movedlinks-'));
    await git('init', '-q', '-b', 'main');
    await writeFile(path.join(dir, 'app.js'), 'export const answer = 1;\n');
    await mkdir(path.join(dir, 'docs/guide'), { recursive: true });
    await writeFile(path.join(dir, 'docs/guide/intro.md'), 'Intro.\n');
    await link('../../app.js', 'docs/guide/app'); // app.js: inside the repository
    await link('../../app.js', 'docs/guide/odd *name'); // a name that is also a glob
    await link('../../app.js', 'docs/guide/stays');
    await git('add', '--all');
    await commit('base');
    base = await git('rev-parse', 'HEAD');
    // Moved two levels up, the same targets climb out of the repository; the others stay inside it.
    await git('mv', 'docs/guide/app', 'app-link');
    await git('mv', 'docs/guide/odd *name', 'odd *name');
    await git('mv', 'docs/guide/stays', 'docs/guide/still');
    await git('mv', 'docs/guide/intro.md', 'docs/intro.md');
    await commit('move');
    head = await git('rev-parse', 'HEAD');
    diff = (await diffRange(dir, base, head)).toString('utf8');
    stub = await startGitHubStub();
    stub.addRepo(REPO.owner, REPO.name, dir);
  });
  after(async () => {
    await stub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const github = () => createGitHubClient({ apiUrl: stub.url, token: stub.token });

  it('are pure renames in the diff: no mode, no target', () => {
    const files = parseUnifiedDiff(diff);
    assert.deepEqual(unchangedMoves(files).map((file) => file.path).sort(), ['app-link', 'docs/guide/still', 'docs/intro.md', 'odd *name']);
    assert.ok(files.every((file) => !file.symlink));
    assert.deepEqual(analyzeDiff(diff).findings.unsafeSymlink, [], 'the diff alone cannot tell');
  });

  it('are looked up in the git repository: the ones now escaping it are found, nothing else', async () => {
    const targets = await symlinkTargets(dir, head, ['app-link', 'odd *name', 'docs/guide/still', 'docs/intro.md', 'gone']);
    assert.deepEqual([...targets].sort(), [['app-link', '../../app.js'], ['docs/guide/still', '../../app.js'], ['odd *name', '../../app.js']]);
    const analysis = await analyzeChange(diff, (paths) => symlinkTargets(dir, head, paths));
    assert.deepEqual(analysis.findings.unsafeSymlink, [
      { file: 'app-link', line: 1, rule: 'symlink-escapes-repo', excerpt: '../../app.js' },
      { file: 'odd *name', line: 1, rule: 'symlink-escapes-repo', excerpt: '../../app.js' },
    ]);
  });

  it('are looked up through GitHub\'s git data API the same way', async () => {
    const analysis = await analyzeChange(diff, (paths) => githubSymlinkTargets(REPO, head, paths, github));
    assert.deepEqual(analysis.findings.unsafeSymlink.map((found) => [found.file, found.rule]), [['app-link', 'symlink-escapes-repo'], ['odd *name', 'symlink-escapes-repo']]);
    const asked = stub.requests.map((request) => `${request.method} ${request.path}`);
    assert.ok(asked.includes(`GET /repos/acme/links/git/trees/${head}`), asked.join('\n'));
  });

  it('escalate when GitHub cannot list the whole tree: a moved file it left out may be a link', async () => {
    const truncating = await startGitHubStub({ treeEntryLimit: 1 });
    try {
      truncating.addRepo(REPO.owner, REPO.name, dir);
      const client = () => createGitHubClient({ apiUrl: truncating.url, token: truncating.token });
      const analysis = await analyzeChange(diff, (paths) => githubSymlinkTargets(REPO, head, paths, client));
      const unverified = analysis.findings.unsafeSymlink.filter((found) => found.rule === 'symlink-unverified').map((found) => found.file).sort();
      assert.ok(unverified.length >= 3, JSON.stringify(analysis.findings.unsafeSymlink));
      assert.ok(unverified.includes('docs/intro.md'), 'a moved file that was not listed is not assumed to be a plain file');
    } finally {
      await truncating.close();
    }
  });

  it('are not looked up when the diff moves nothing unchanged', async () => {
    const edited = 'diff --git a/x.txt b/y.txt\nsimilarity index 50%\nrename from x.txt\nrename to y.txt\nindex 1111111..2222222 100644\n--- a/x.txt\n+++ b/y.txt\n@@ -1 +1 @@\n-a\n+b\n';
    let asked = 0;
    const files = await revealMovedLinks(parseUnifiedDiff(edited), async () => { asked += 1; return new Map(); });
    assert.equal(asked, 0);
    assert.equal(files[0]?.symlink, undefined);
  });
});
