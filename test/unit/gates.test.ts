import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReviewOutput } from '../../activities/review/schema.js';
import { gateNames, type Gate } from '../../workflows/messages.js';
import { noFindings, type ChangeFindings } from '../../workflows/policy/detectors/index.js';
import { computeGates, mergeGates, type GateInput } from '../../workflows/policy/gates.js';

const calmReview: ReviewOutput = {
  riskScore: 1, securityIssues: [], performanceConcerns: [], coverageGaps: [], apiBreakingChanges: [],
  rationale: 'small, safe change', confidence: 'high', suggestedGates: [],
};
const calm: GateInput = {
  riskScore: 2, riskThreshold: 7, findings: noFindings(), review: calmReview, agentFailures: [], agentUncertain: [], deploymentRisk: 'LOW',
};
const found = (kind: keyof ChangeFindings, file: string): ChangeFindings => ({ ...noFindings(), [kind]: [{ file, line: 3, rule: 'r', excerpt: 'x' }] });

describe('computeGates', () => {
  it('fires nothing for a calm change', () => {
    assert.deepEqual(computeGates(calm), { gates: [], reasons: [] });
  });

  const table: [string, Partial<GateInput>, Gate[]][] = [
    ['risk at the threshold', { riskScore: 7 }, ['risk_threshold']],
    ['risk below the threshold', { riskScore: 6 }, []],
    ['the review scoring at the threshold', { review: { ...calmReview, riskScore: 8 } }, ['risk_threshold']],
    ['a risk score that is not a number', { riskScore: Number.NaN }, ['risk_threshold']],
    ['a high security issue', { review: { ...calmReview, securityIssues: [{ severity: 'high', description: 'SQL injection', file: 'a.py', line: 3 }] } }, ['risk_threshold']],
    ['a critical security issue', { review: { ...calmReview, securityIssues: [{ severity: 'critical', description: 'RCE' }] } }, ['risk_threshold']],
    ['a medium security issue', { review: { ...calmReview, securityIssues: [{ severity: 'medium', description: 'weak hash' }] } }, []],
    ['an API break found by code', { findings: found('apiBreaking', 'src/index.ts') }, ['api_breaking']],
    ['an API break found by the review', { review: { ...calmReview, apiBreakingChanges: [{ description: 'field removed' }] } }, ['api_breaking']],
    ['a schema change', { findings: found('schemaChange', 'db/migrate/1.rb') }, ['schema_change']],
    ['a new integration', { findings: found('newIntegration', 'package.json') }, ['new_integration']],
    ['a secret', { findings: found('secret', '.env') }, ['secret']],
    ['a symlink out of the repository', { findings: found('unsafeSymlink', 'config/passwd') }, ['risk_threshold']],
    ['findings recorded before the symlink detector', { findings: { schemaChange: [], newIntegration: [], secret: [], apiBreaking: [] } }, []],
    ['deployment risk HIGH', { deploymentRisk: 'HIGH' }, ['deploy_risk_high']],
    ['deployment risk MEDIUM', { deploymentRisk: 'MEDIUM' }, []],
    ['no deployment verdict yet', { deploymentRisk: null }, []],
    ['a failed agent', { agentFailures: [{ agent: 'tests', error: 'timeout' }] }, ['agent_failed']],
    ['a missing review (null)', { review: null }, ['agent_failed']],
    ['a missing review (absent)', { review: undefined }, ['agent_failed']],
    ['an unsure agent', { agentUncertain: [{ agent: 'validation', why: 'too little traffic' }] }, ['agent_uncertain']],
    ['a low-confidence review', { review: { ...calmReview, confidence: 'low' } }, ['agent_uncertain']],
    ['a gate the review asks for', { review: { ...calmReview, suggestedGates: ['secret', 'new_integration'] } }, ['new_integration', 'secret']],
  ];
  for (const [name, change, gates] of table) {
    it(`${gates.length ? `fires ${gates.join(', ')}` : 'fires nothing'} on ${name}`, () => {
      const result = computeGates({ ...calm, ...change });
      assert.deepEqual(result.gates, gates);
      assert.ok(result.reasons.length >= gates.length);
    });
  }

  it('never lets the review lower a gate the code computed', () => {
    const code: Partial<GateInput>[] = [
      { findings: found('schemaChange', 'db/migrate/1.rb') },
      { findings: found('apiBreaking', 'src/index.ts') },
      { findings: found('newIntegration', 'go.mod') },
      { findings: found('secret', '.env') },
      { riskScore: 9 },
      { deploymentRisk: 'HIGH' },
      { agentFailures: [{ agent: 'staging', error: 'crashed' }] },
      { agentUncertain: [{ agent: 'deployment', why: 'no baseline' }] },
    ];
    const withAlarmedReview = code.map((c) => computeGates({ ...calm, ...c, review: { ...calmReview, riskScore: 10, confidence: 'low' } }).gates);
    for (const [i, c] of code.entries()) {
      const relaxed = computeGates({ ...calm, ...c, review: { ...calmReview, riskScore: 1, confidence: 'high', suggestedGates: [] } });
      const expected = computeGates({ ...calm, ...c, review: calmReview }).gates;
      assert.ok(expected.length > 0);
      assert.deepEqual(relaxed.gates, expected, JSON.stringify(c));
      for (const gate of expected) assert.ok(withAlarmedReview[i]?.includes(gate));
    }
    // The named example: a review with risk 1 and no suggestions cannot remove schema_change.
    const schema = computeGates({ ...calm, findings: found('schemaChange', 'prisma/schema.prisma'), review: { ...calmReview, riskScore: 1 } });
    assert.deepEqual(schema.gates, ['schema_change']);
  });

  it('outputs gates deduplicated in canonical order, one reason per cause naming the file', () => {
    const result = computeGates({
      ...calm,
      riskScore: 9,
      findings: { ...found('secret', '.env.example'), schemaChange: [{ file: 'db/schema.rb', rule: 'schema-file', excerpt: 't.string' }] },
      agentFailures: [{ agent: 'tests', error: 'exit 1' }, { agent: 'staging', error: 'boom' }],
      review: { ...calmReview, confidence: 'low', suggestedGates: ['secret', 'risk_threshold', 'api_breaking'] },
    });
    assert.deepEqual(result.gates, ['risk_threshold', 'api_breaking', 'schema_change', 'secret', 'agent_failed', 'agent_uncertain']);
    assert.deepEqual(result.gates, gateNames.filter((g) => result.gates.includes(g)));
    assert.equal(result.reasons.length, 7);
    assert.ok(result.reasons.some((r) => r.includes('.env.example:3')));
    assert.ok(result.reasons.some((r) => r.includes('db/schema.rb')));
    assert.ok(result.reasons.some((r) => r.includes('tests agent failed: exit 1')));
    assert.ok(result.reasons.some((r) => r === 'review agent asks for api_breaking'));
  });

  it('summarises long evidence lists', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ file: `m/${i}.sql`, rule: 'migration', excerpt: '' }));
    const [reason] = computeGates({ ...calm, findings: { ...noFindings(), schemaChange: many } }).reasons;
    assert.equal(reason, 'schema change: migration in m/0.sql, migration in m/1.sql, migration in m/2.sql and 2 more');
  });
});

describe('reasons name files so that no file name can forge a line', () => {
  it('names each unsafe symlink with its target and why', () => {
    const links = [
      { file: 'config/passwd', line: 1, rule: 'symlink-absolute', excerpt: '/etc/passwd' },
      { file: 'config/outside.txt', line: 1, rule: 'symlink-escapes-repo', excerpt: '../../outside.txt' },
    ];
    const { reasons } = computeGates({ ...calm, findings: { ...noFindings(), unsafeSymlink: links } });
    assert.deepEqual(reasons, ['symlink out of the repository: config/passwd → /etc/passwd (absolute), config/outside.txt → ../../outside.txt (escapes the repository)']);
  });

  it('names a moved file that could not be checked for a link, without a target it does not know', () => {
    const unverified = [{ file: 'docs/intro.md', rule: 'symlink-unverified', excerpt: 'moved from docs/guide/intro.md' }];
    const { gates, reasons } = computeGates({ ...calm, findings: { ...noFindings(), unsafeSymlink: unverified } });
    assert.deepEqual(gates, ['risk_threshold']);
    assert.deepEqual(reasons, ['symlink out of the repository: docs/intro.md (moved without a change and could not be looked up: it may be a link)']);
  });

  it('quotes paths with control characters or quotes in evidence, review locations and symlink targets', () => {
    const { reasons } = computeGates({
      ...calm,
      findings: { ...noFindings(), schemaChange: [{ file: 'db/migrations/001_evil\nname.sql', line: 1, rule: 'migration', excerpt: '' }],
        unsafeSymlink: [{ file: 'a"b', line: 1, rule: 'symlink-absolute', excerpt: '/etc/x\r\ny' }] },
      review: { ...calmReview, securityIssues: [{ severity: 'high', description: 'bad', file: 'src/\u202eevil.ts', line: 2 }] },
    });
    assert.deepEqual(reasons, [
      'review agent reports a high security issue in "src/\\u202eevil.ts":2: bad',
      'symlink out of the repository: "a\\"b" → "/etc/x\\r\\ny" (absolute)',
      'schema change: migration in "db/migrations/001_evil\\nname.sql":1',
    ]);
    assert.ok(reasons.every((reason) => !/[\n\r\u202e]/.test(reason)));
  });

  it('keeps model and error text to one line: line breaks become spaces, invisible marks go', () => {
    const { reasons } = computeGates({
      ...calm,
      review: {
        ...calmReview,
        securityIssues: [{ severity: 'critical', description: 'token leak\nschema change: none\u2028ok' }],
        apiBreakingChanges: [{ description: 'removed GET /v1/orders\r\n\u202etxet' }],
      },
      agentFailures: [{ agent: 'tests', error: 'exit 1\n\nagent_failed: forged' }],
      agentUncertain: [{ agent: 'staging', why: '\tno\u200b baseline  ' }],
    });
    assert.deepEqual(reasons.filter((reason) => reason.startsWith('review agent') || reason.includes(' agent ')), [
      'review agent reports a critical security issue: token leak schema change: none ok',
      'review agent reports an API-breaking change: removed GET /v1/orders txet',
      'tests agent failed: exit 1 agent_failed: forged',
      'staging agent is unsure: no baseline',
    ]);
  });
});

describe('mergeGates', () => {
  it('unions, deduplicates and orders canonically', () => {
    assert.deepEqual(mergeGates(['secret', 'risk_threshold'], ['agent_failed', 'secret'], []), ['risk_threshold', 'secret', 'agent_failed']);
    assert.deepEqual(mergeGates(), []);
  });
});
