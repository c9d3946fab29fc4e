import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWorkflowBundle, freshPrebuiltBundle } from '../../workers/bundle.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';

describe('prebuilt workflow bundle', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'prpilot-bundle-'));
    file = await buildWorkflowBundle(WORKFLOWS_PATH, path.join(dir, 'workflow-bundle.js'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is used when it was built from the current sources', async () => {
    const bundle = await freshPrebuiltBundle(file);
    assert.ok(bundle && bundle.code.includes('prToProduction'));
  });

  it('is never used when the sources changed since (the recorded hash differs)', async () => {
    await writeFile(`${file}.sha256`, '0'.repeat(64));
    assert.equal(await freshPrebuiltBundle(file), null);
  });

  it('is not used when missing', async () => {
    assert.equal(await freshPrebuiltBundle(path.join(dir, 'nothing.js')), null);
  });
});
