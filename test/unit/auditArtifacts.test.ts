import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createArtifactStore, sha256Hex } from '../../activities/artifacts/store.js';
import { artifactReferences, checkArtifacts } from '../../cli/audit/artifacts.js';
import { GENESIS_HASH, NO_TOKENS, type DecisionRecord } from '../../workflows/records.js';

const root = mkdtempSync(join(tmpdir(), 'prpilot-audit-artifacts-'));
after(() => rmSync(root, { recursive: true, force: true }));

const record = (seq: number, details: Record<string, unknown>): DecisionRecord => ({
  seq, workflowId: 'pr-x', at: '2026-11-26T00:00:00.000Z', prevHash: GENESIS_HASH, stage: 'canary', decision: 'd', rationale: '',
  agent: 'a', agentVersion: '1', model: null, promptSha256: 'a'.repeat(64), inputSha256: 'b'.repeat(64), tokens: NO_TOKENS, gates: [], details,
});

describe('audit --artifacts', () => {
  it('finds every …Sha256 field in record details, nested or in arrays, and skips nulls', () => {
    const references = artifactReferences([
      record(1, { diffSha256: 'd1', files: 3 }),
      record(2, { report: { outputSha256: 'o2', logSha256: null }, steps: [{ verdictLogSha256: 'v2' }] }),
      record(3, {}),
    ]);
    assert.deepEqual(references, [
      { seq: 1, field: 'details.diffSha256', sha256: 'd1' },
      { seq: 2, field: 'details.report.outputSha256', sha256: 'o2' },
      { seq: 2, field: 'details.steps[0].verdictLogSha256', sha256: 'v2' },
    ]);
  });

  it('passes an artifact whose content hashes to its name, and names the missing, the altered and the malformed', async () => {
    const store = createArtifactStore(root);
    const kept = await store.put('verdicts');
    const altered = await store.put('original');
    writeFileSync(store.pathOf(altered.sha256), 'tampered');
    const checks = await checkArtifacts([
      { seq: 1, field: 'details.verdictLogSha256', sha256: kept.sha256 },
      { seq: 2, field: 'details.diffSha256', sha256: 'f'.repeat(64) },
      { seq: 3, field: 'details.logSha256', sha256: altered.sha256 },
      { seq: 4, field: 'details.patchSha256', sha256: 'not-a-hash' },
      { seq: 5, field: 'details.diffSha256', sha256: kept.sha256 },
    ], store);
    assert.deepEqual(checks.map((check) => check.problem), [
      null,
      `artifact ${'f'.repeat(64)} is not in ${root}`,
      `artifact ${altered.sha256} is corrupt (content hashes to ${sha256Hex('tampered')})`,
      'not a sha256: "not-a-hash"',
      null,
    ]);
  });
});
