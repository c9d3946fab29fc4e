import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { diffRange, GitOutputTooLargeError } from '../../activities/change/git.js';
import { diffTooLargeReason } from '../../activities/change/validateDiff.js';

const run = promisify(execFile);

describe('diffRange over its size limit', () => {
  let dir: string;
  const git = async (...args: string[]) => (await run('git', ['-C', dir, ...args])).stdout.trim();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'prpilot-gitdiff-'));
    await git('init', '-q', '-b', 'main');
    await git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'base');
    await writeFile(path.join(dir, 'rows.txt'), 'row of data\n'.repeat(500));
    await git('add', 'rows.txt');
    await git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'rows');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is a GitOutputTooLargeError carrying the limit, not a raw maxBuffer error', async () => {
    const [base, head] = [await git('rev-parse', 'HEAD~1'), await git('rev-parse', 'HEAD')];
    assert.ok((await diffRange(dir, base, head)).length > 1024, 'the whole diff fits the default limit');
    await assert.rejects(diffRange(dir, base, head, 1024), (error: unknown) => {
      assert.ok(error instanceof GitOutputTooLargeError, String(error));
      assert.equal(error.limit, 1024);
      return true;
    });
  });

  it('is told to the user with the limit and what to do', () => {
    assert.equal(diffTooLargeReason('the diff main...huge', 67108864),
      'the diff main...huge is over the 67108864-byte limit: split the change into smaller ones, or keep generated data out of the repository');
  });
});
