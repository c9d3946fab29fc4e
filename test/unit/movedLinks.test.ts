/**
 * A symbolic link moved without a change (a 100% rename) shows no mode and no target in a diff. The
 * change is analysed with the head commit's view of the moved files, from a real git repository and
 * from GitHub's git data API (the stub serves the same repository), so such a link is checked like an
 * added one, and a moved file that cannot be looked up escalates.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeChange, analyzeDiff } from '../../activities/change/analyze.js';
import { diffRange, symlinkTargets } from '../../activities/change/git.js';
import { revealMovedLinks, unchangedMoves } from '../../activities/change/movedLinks.js';
import { githubSymlinkTargets } from '../../activities/github/source.js';
import { createGitHubClient } from '../../github/client.js';
import { parseUnifiedDiff } from '../../workflows/policy/diff.js';
import { createRepo, type FixtureRepo } from '../bad-input/lib/repo.js';
import { startGitHubStub, type GitHubStub } from '../stub/githubStub.js';

const REPO = { owner: 'acme', name: 'links' };

describe('links moved without a change', () => {
  let dir: string;
  let repo: FixtureRepo;
  let base: string;
  let head: string;
  let diff: string;
  let stub: GitHubStub;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'prpilot-movedlinks-'));
    const link = { symlinkTo: '../../app.js' }; // from docs/guide/, app.js: inside the repository
    repo = await createRepo(dir, 'repo', {
      'app.js': 'export const answer = 1;\n', 'docs/guide/intro.md': 'Intro.\n',
      'docs/guide/app': link, 'docs/guide/odd *name': link, 'docs/guide/stays': link, // `odd *name` is also a glob
    });
    base = await repo.sha('main');
    // Moved two levels up, the same targets climb out of the repository; the others stay inside it.
    head = await repo.branch('move', {
      'docs/guide/app': null, 'app-link': link, 'docs/guide/odd *name': null, 'odd *name': link,
      'docs/guide/stays': null, 'docs/guide/still': link, 'docs/guide/intro.md': null, 'docs/intro.md': 'Intro.\n',
    });
    diff = (await diffRange(repo.path, base, head)).toString('utf8');
    stub = await startGitHubStub();
    stub.addRepo(REPO.owner, REPO.name, repo.path);
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
    const targets = await symlinkTargets(repo.path, head, ['app-link', 'odd *name', 'docs/guide/still', 'docs/intro.md', 'gone']);
    assert.deepEqual([...targets].sort(), [['app-link', '../../app.js'], ['docs/guide/still', '../../app.js'], ['odd *name', '../../app.js']]);
    const analysis = await analyzeChange(diff, (paths) => symlinkTargets(repo.path, head, paths));
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
      truncating.addRepo(REPO.owner, REPO.name, repo.path);
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
