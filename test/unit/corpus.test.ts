/**
 * Calibration against the labelled corpus of real commits (../shared/corpus, see its README): every
 * labelled change must fire its gate, and at most 2 of the 15 benign ones may fire any gate. The review
 * agent is left out (a calm review), so only what the code computes is measured.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import type { Gate } from '../../workflows/messages.js';
import { parseUnifiedDiff } from '../../workflows/policy/diff.js';
import { detectChange, type FindingKind } from '../../workflows/policy/detectors/index.js';
import { computeGates } from '../../workflows/policy/gates.js';
import { assessRisk } from '../../workflows/policy/riskHeuristic.js';

const CORPUS = new URL('../../../shared/corpus/', import.meta.url);
const MAX_BENIGN_WITH_GATES = 2;

const labelsSchema = z.array(z.object({
  file: z.string(),
  labels: z.object({
    schema_change: z.boolean(), new_service_integration: z.boolean(), secret_added: z.boolean(),
    api_breaking: z.boolean(), benign_low_risk: z.boolean(),
  }),
}));
type Label = 'schema_change' | 'new_service_integration' | 'secret_added' | 'api_breaking';

const LABELS: { label: Label; gate: Gate; kind: FindingKind }[] = [
  { label: 'schema_change', gate: 'schema_change', kind: 'schemaChange' },
  { label: 'new_service_integration', gate: 'new_integration', kind: 'newIntegration' },
  { label: 'secret_added', gate: 'secret', kind: 'secret' },
  { label: 'api_breaking', gate: 'api_breaking', kind: 'apiBreaking' },
];

interface Row { name: string; labels: z.infer<typeof labelsSchema>[number]['labels']; gates: Gate[]; kinds: FindingKind[]; risk: number }

describe('corpus calibration', () => {
  const rows: Row[] = [];

  before(() => {
    const dir = fileURLToPath(CORPUS);
    assert.ok(existsSync(`${dir}labels.json`) && existsSync(`${dir}diffs`),
      `corpus not found at ${dir} (expected labels.json and diffs/ there, next to the repo: ../shared/corpus)`);
    const labels = labelsSchema.parse(JSON.parse(readFileSync(`${dir}labels.json`, 'utf8')));
    const diffs = new Set(readdirSync(`${dir}diffs`));
    for (const entry of labels) {
      const name = entry.file.split('/').pop() ?? entry.file;
      assert.ok(diffs.has(name), `labels.json names ${name}, which is not in ${dir}diffs`);
      const files = parseUnifiedDiff(readFileSync(`${dir}diffs/${name}`, 'utf8'));
      const findings = detectChange(files);
      const risk = assessRisk(files, findings).score;
      const { gates } = computeGates({
        riskScore: risk, riskThreshold: 7, findings, agentFailures: [], agentUncertain: [],
        review: { riskScore: 1, securityIssues: [], performanceConcerns: [], coverageGaps: [], apiBreakingChanges: [],
          rationale: 'neutral', confidence: 'high', suggestedGates: [] },
      });
      const kinds = (Object.keys(findings) as FindingKind[]).filter((k) => findings[k].length > 0);
      rows.push({ name, labels: entry.labels, gates, kinds, risk });
    }
    printTable(rows);
  });

  for (const { label, gate } of LABELS) {
    it(`fires ${gate} on every diff labelled ${label}`, () => {
      const positives = rows.filter((r) => r.labels[label]);
      assert.ok(positives.length > 0, `no diff labelled ${label}`);
      const missed = positives.filter((r) => !r.gates.includes(gate)).map((r) => `${r.name} (gates: ${r.gates.join(', ') || 'none'})`);
      assert.deepEqual(missed, [], `${label}: missed ${missed.join('; ')}`);
    });
  }

  it('fires some gate on every non-benign diff', () => {
    const silent = rows.filter((r) => !r.labels.benign_low_risk && r.gates.length === 0).map((r) => r.name);
    assert.deepEqual(silent, []);
  });

  it(`fires a gate on at most ${MAX_BENIGN_WITH_GATES} of the benign diffs`, () => {
    const benign = rows.filter((r) => r.labels.benign_low_risk);
    assert.ok(benign.length > 0);
    const gated = benign.filter((r) => r.gates.length > 0).map((r) => `${r.name} (${r.gates.join(', ')})`);
    assert.ok(gated.length <= MAX_BENIGN_WITH_GATES, `benign diffs with gates: ${gated.join('; ')}`);
  });
});

function printTable(rows: Row[]): void {
  const lines = ['', 'corpus: per-label confusion of the matching detector (TP FN FP TN, recall, precision)'];
  for (const { label, kind } of LABELS) {
    const tp = rows.filter((r) => r.labels[label] && r.kinds.includes(kind)).length;
    const fn = rows.filter((r) => r.labels[label] && !r.kinds.includes(kind)).length;
    const fp = rows.filter((r) => !r.labels[label] && r.kinds.includes(kind)).length;
    const tn = rows.length - tp - fn - fp;
    const pct = (n: number, d: number) => (d === 0 ? '  n/a' : `${Math.round((100 * n) / d)}%`.padStart(5));
    lines.push(`  ${label.padEnd(24)} TP ${pad(tp)} FN ${pad(fn)} FP ${pad(fp)} TN ${pad(tn)}  recall ${pct(tp, tp + fn)}  precision ${pct(tp, tp + fp)}`);
  }
  const benign = rows.filter((r) => r.labels.benign_low_risk);
  const gated = benign.filter((r) => r.gates.length > 0);
  lines.push(`  ${'benign_low_risk'.padEnd(24)} ${gated.length}/${benign.length} with any gate; risk scores ${benign.map((r) => r.risk).join(' ')}`);
  console.log(lines.join('\n'));
}

const pad = (n: number) => String(n).padStart(2);
