import { bigDiff, MIGRATION } from '../helpers/bigDiff.js';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { z } from 'zod';
import { analyzeDiff } from '../../activities/change/analyze.js';
import type { ReviewInput } from '../../activities/review/agent.js';
import { diffOrder, estimateTokens, planReview, DEFAULT_CHUNK_TOKENS } from '../../activities/review/chunking.js';
import { createClaudeReviewAgent, mergeReviews } from '../../activities/review/claude.js';
import type { ReviewOutput } from '../../activities/review/schema.js';
import { loadPrompt } from '../../activities/llm/prompts.js';
import type { ModelClient, Prompt, StructuredRequest, StructuredResult } from '../../activities/llm/types.js';
import type { DiffFile } from '../../workflows/policy/diff.js';
import { noFindings } from '../../workflows/policy/detectors/index.js';

/** A hand-written model: records every request, answers from a script, never touches the network. */
class FakeModel implements ModelClient {
  readonly model = 'fake-claude';
  readonly requests: { system: string; user: string; schemaName: string }[] = [];
  constructor(private readonly answer: (user: string, index: number) => ReviewOutput) {}
  async structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredResult<z.infer<S>>> {
    const index = this.requests.push({ system: request.prompt.text, user: request.user, schemaName: request.schemaName }) - 1;
    const output = request.schema.parse(this.answer(request.user, index));
    const input = estimateTokens(request.prompt.text) + estimateTokens(request.user);
    return {
      output,
      tokens: { input, output: 200, cacheRead: 0, cacheWrite: 0 },
      identity: { agent: 'review', agentVersion: request.prompt.version, model: this.model, promptSha256: request.prompt.sha256 },
      calls: 1,
    };
  }
}

const review = (fields: Partial<ReviewOutput> = {}): ReviewOutput => ({
  riskScore: 3, securityIssues: [], performanceConcerns: [], coverageGaps: [], apiBreakingChanges: [],
  rationale: 'looks fine', confidence: 'high', suggestedGates: [], ...fields,
});

describe('review chunking on a 1 MB diff', () => {
  let prompt: Prompt;
  let diff: string;
  let input: ReviewInput;
  before(async () => {
    prompt = await loadPrompt('review');
    diff = bigDiff();
    const analysis = analyzeDiff(diff);
    input = { diff, files: analysis.files, title: 'Add order status', description: 'Adds a status column and the services.', findings: analysis.findings, heuristic: analysis.heuristic };
  });

  const scripted = (user: string, index: number): ReviewOutput => [
    review({ riskScore: 4, securityIssues: [{ severity: 'medium', description: 'unvalidated status value', file: MIGRATION, line: 1 }], coverageGaps: [{ file: MIGRATION, description: 'no test for the default' }] }),
    review({ riskScore: 8, securityIssues: [{ severity: 'medium', description: 'unvalidated status value', file: MIGRATION, line: 1 }, { severity: 'low', description: 'user id logged', file: 'app/auth/session.ts', line: 41 }], suggestedGates: ['new_integration'] }),
    review({ riskScore: 5, performanceConcerns: [{ description: 'compute is O(n^2)', file: 'app/services/service40.ts' }], suggestedGates: ['api_breaking', 'new_integration'] }),
  ][index] ?? review({ riskScore: 2 });

  it('is at least 1 MB', () => {
    assert.ok(Buffer.byteLength(diff) >= 1_000_000, `diff is ${Buffer.byteLength(diff)} bytes`);
  });

  it('stays within 100k input tokens in total, system prompt included', async (t) => {
    const model = new FakeModel(scripted);
    const run = await createClaudeReviewAgent(model, prompt).review(input);
    const perCall = model.requests.map((r) => estimateTokens(r.system) + estimateTokens(r.user));
    const total = perCall.reduce((a, b) => a + b, 0);
    t.diagnostic(`diff ${Buffer.byteLength(diff)} bytes ≈ ${estimateTokens(diff)} tokens; system prompt ${estimateTokens(prompt.text)} tokens; ${perCall.length} calls: ${perCall.join(' + ')} = ${total} input tokens`);
    assert.ok(model.requests.length >= 2, 'a 1 MB diff takes several chunks');
    assert.ok(total <= 100_000, `total ${total}`);
    assert.equal(run.tokens.input, total);
    assert.ok(model.requests.every((r) => r.schemaName === 'review' && r.system === prompt.text));
  });

  it('summarises lock, vendored and generated files and never sends them', async () => {
    const model = new FakeModel(scripted);
    await createClaudeReviewAgent(model, prompt).review(input);
    const plan = planReview(input.files, input.findings);
    const reasons = Object.fromEntries(plan.summarised.map((s) => [s.path, s.reason]));
    assert.equal(reasons['package-lock.json'], 'lock file');
    assert.equal(reasons['vendor/github.com/acme/lib/file0.go'], 'vendored');
    assert.equal(reasons['web/dist/app.min.js'], 'generated');
    assert.equal(reasons['app/proto/messages.ts'], 'generated');
    assert.equal(plan.summarised.length, 11);
    for (const mark of ['LOCKMARK', 'VENDORMARK', 'GENMARK', 'MARKERGEN']) {
      assert.ok(plan.chunks.every((c) => !c.text.includes(mark)), `${mark} in a chunk`);
      assert.ok(model.requests.every((r) => !r.user.includes(mark)), `${mark} sent to the model`);
    }
    // ...but the model is told they exist.
    assert.match(model.requests[0]?.user ?? '', /package-lock\.json \(\+3500 -1500\): lock file, not sent/);
  });

  it('puts the migration with findings in the first chunk, and orders by priority', async () => {
    const plan = planReview(input.files, input.findings);
    assert.ok(input.findings.schemaChange.some((e) => e.file === MIGRATION));
    assert.equal(plan.chunks[0]?.files[0], MIGRATION);
    assert.equal(plan.chunks[0]?.files[1], 'app/auth/session.ts');
    const model = new FakeModel(scripted);
    await createClaudeReviewAgent(model, prompt).review(input);
    assert.match(model.requests[0]?.user ?? '', /### db\/migrations\/20240501120000_add_orders_status\.sql \(added, \+2 -0\)\n\+1: ALTER TABLE orders/);
  });

  it('lists the files left out for budget, and keeps every chunk within its size', async () => {
    const plan = planReview(input.files, input.findings, { overheadTokens: 6_000 });
    assert.ok(plan.omitted.length > 0, 'something must be left out of a 1 MB diff');
    assert.ok(plan.omitted.includes('docs/guide4.md'), 'docs go last');
    assert.ok(plan.chunks.every((c) => c.estimatedTokens <= DEFAULT_CHUNK_TOKENS));
    const sent = plan.chunks.flatMap((c) => c.files);
    const all = [...sent, ...plan.omitted, ...plan.summarised.map((s) => s.path)].sort();
    assert.deepEqual(all, input.files.map((f) => f.path).sort(), 'every file is sent, summarised or omitted, once');

    const model = new FakeModel(scripted);
    const run = await createClaudeReviewAgent(model, prompt).review(input);
    assert.match(model.requests[0]?.user ?? '', /Not reviewed by the model \(token budget\)/);
    assert.match(run.output.rationale, /Not reviewed by the model \(token budget\): .*docs\/guide4\.md|and \d+ more/);
    assert.equal(run.output.confidence, 'medium', 'confidence is capped when files went unreviewed');
  });

  it('merges chunks: highest risk, union of findings without duplicates, union of gates', async () => {
    const model = new FakeModel(scripted);
    // A low code score, so the model's highest chunk score decides (the 1 MB diff itself scores 10).
    const run = await createClaudeReviewAgent(model, prompt).review({ ...input, heuristic: { score: 2, factors: [] } });
    assert.ok(model.requests.length >= 3);
    assert.equal(run.output.riskScore, 8);
    assert.deepEqual(run.output.securityIssues.map((i) => i.description), ['unvalidated status value', 'user id logged']);
    assert.deepEqual(run.output.performanceConcerns.map((i) => i.description), ['compute is O(n^2)']);
    assert.deepEqual(run.output.coverageGaps, [{ file: MIGRATION, description: 'no test for the default' }]);
    assert.deepEqual(run.output.suggestedGates, ['api_breaking', 'new_integration']);
    assert.match(run.output.rationale, /^Chunk 1 of \d+ \(\d+ file\(s\), risk 4\):\nlooks fine/);
    assert.deepEqual(run.identity, { agent: 'review', agentVersion: 'review/1.0.0', model: 'fake-claude', promptSha256: prompt.sha256 });
  });

  it('is deterministic', async () => {
    assert.deepEqual(planReview(input.files, input.findings), planReview(analyzeDiff(diff).files, input.findings));
    const a = new FakeModel(scripted);
    const b = new FakeModel(scripted);
    const runA = await createClaudeReviewAgent(a, prompt).review(input);
    const runB = await createClaudeReviewAgent(b, prompt).review(input);
    assert.deepEqual(a.requests, b.requests);
    assert.deepEqual(runA, runB);
  });
});

// ---- the planner on small inputs -------------------------------------------------------------------

function file(path: string, added: string[], removed: string[] = [], status: DiffFile['status'] = 'modified'): DiffFile {
  const numbered = (texts: string[]) => texts.map((text, i) => ({ line: i + 1, text }));
  return { path, oldPath: null, status, binary: false, added: numbered(added), removed: numbered(removed) };
}

describe('planReview', () => {
  it('orders findings, sensitive paths, source, other, tests, docs', () => {
    const files = [
      file('README.md', ['# hi']), file('src/app.test.ts', ['it()']), file('web/theme.css', ['a{}']),
      file('src/app.ts', ['run()']), file('config/settings.yml', ['a: 1']), file('src/payments/charge.ts', ['charge()']),
      file('db/migrate/1_add.rb', ['add_column :users, :x, :string']),
    ];
    const findings = { ...noFindings(), schemaChange: [{ file: 'db/migrate/1_add.rb', line: 1, rule: 'migration', excerpt: 'add_column' }] };
    const plan = planReview(files, findings);
    assert.equal(plan.chunks.length, 1);
    assert.deepEqual(plan.chunks[0]?.files, [
      'db/migrate/1_add.rb', 'config/settings.yml', 'src/payments/charge.ts', 'src/app.ts', 'web/theme.css', 'src/app.test.ts', 'README.md',
    ]);
  });

  it('renders removed and added lines back in diff order with their line numbers', () => {
    const f: DiffFile = {
      path: 'src/a.ts', oldPath: null, status: 'modified', binary: false,
      added: [{ line: 5, text: 'inserted();' }, { line: 11, text: 'const b = 3;' }],
      removed: [{ line: 10, text: 'const b = 2;' }, { line: 30, text: 'old();' }],
    };
    assert.deepEqual(diffOrder(f).map(({ sign, line }) => `${sign}${line.line}`), ['+5', '-10', '+11', '-30']);
    const text = planReview([f], noFindings()).chunks[0]?.text;
    assert.equal(text, '### src/a.ts (modified, +2 -2)\n+5: inserted();\n-10: const b = 2;\n+11: const b = 3;\n-30: old();');
  });

  it('cuts a file larger than a chunk, with a marker', () => {
    const huge = file('src/huge.ts', Array.from({ length: 5_000 }, (_, i) => `const value${i} = compute(${i});`));
    const plan = planReview([huge], noFindings(), { chunkTokens: 2_000 });
    const chunk = plan.chunks[0];
    assert.ok(chunk && chunk.estimatedTokens <= 2_000, `chunk of ${chunk?.estimatedTokens}`);
    const more = Number(/\[truncated: (\d+) more lines\]$/.exec(chunk.text)?.[1]);
    const shown = chunk.text.split('\n').length - 2; // header and marker
    assert.equal(shown + more, 5_000);
    assert.deepEqual(plan.truncated, [{ path: 'src/huge.ts', moreLines: more }]);
    assert.deepEqual(plan.omitted, []);
  });

  it('counts the per-call overhead against the total and omits what does not fit', () => {
    const files = Array.from({ length: 6 }, (_, i) => file(`src/m${i}.ts`, Array.from({ length: 200 }, (_, k) => `export const v${k} = ${k} * ${i};`)));
    const one = planReview(files.slice(0, 1), noFindings()).chunks[0]?.estimatedTokens ?? 0;
    const plan = planReview(files, noFindings(), { chunkTokens: one * 2 + 2, totalTokens: (one * 2 + 2 + 500) * 2, overheadTokens: 500 });
    assert.deepEqual(plan.chunks.map((c) => c.files), [['src/m0.ts', 'src/m1.ts'], ['src/m2.ts', 'src/m3.ts']]);
    assert.deepEqual(plan.omitted, ['src/m4.ts', 'src/m5.ts']);
  });

  it('does not let a generated-file marker hide a sensitive file or one with findings', () => {
    const marker = '// Code generated by hand. DO NOT EDIT.';
    const files = [file('src/auth/login.ts', [marker, 'skipAuth = true;']), file('src/types.ts', [marker, 'export type A = 1;']),
      file('src/db.ts', [marker, 'db.exec("DROP TABLE users")'])];
    const findings = { ...noFindings(), schemaChange: [{ file: 'src/db.ts', line: 2, rule: 'ddl', excerpt: 'DROP TABLE' }] };
    const plan = planReview(files, findings);
    assert.deepEqual(plan.summarised.map((s) => s.path), ['src/types.ts']);
    assert.deepEqual(plan.chunks[0]?.files, ['src/db.ts', 'src/auth/login.ts']);
  });

  it('summarises binary files', () => {
    const plan = planReview([{ ...file('assets/logo.png', []), binary: true }], noFindings());
    assert.deepEqual(plan.summarised.map((s) => s.line), ['assets/logo.png (binary): binary, not sent']);
    assert.deepEqual(plan.chunks, []);
  });

  it('estimates tokens at 3.5 ASCII characters per token, one per other character', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('abcdefg'), 2);
    assert.equal(estimateTokens('x'.repeat(35_000)), 10_000);
    assert.equal(estimateTokens('日本語'), 3);
  });
});

describe('merging chunk reviews', () => {
  const plan = { chunks: [], summarised: [], omitted: [], truncated: [] };
  it('takes the lowest confidence and never a risk below the code heuristic', () => {
    const merged = mergeReviews([review({ riskScore: 2 }), review({ riskScore: 3, confidence: 'low' })], plan, { heuristic: { score: 6, factors: [] } });
    assert.equal(merged.confidence, 'low');
    assert.equal(merged.riskScore, 6);
    assert.match(merged.rationale, /the model scored 3, below the code's heuristic score 6/);
  });

  it('skips the model when every file is summarised', async () => {
    const model = new FakeModel(() => review());
    const prompt = await loadPrompt('review');
    const files = [file('package-lock.json', ['"a": 1']), file('vendor/x/y.go', ['package y'])];
    const run = await createClaudeReviewAgent(model, prompt).review({
      diff: '', files, title: 'bump', description: '', findings: noFindings(), heuristic: { score: 2, factors: [] },
    });
    assert.equal(model.requests.length, 0);
    assert.equal(run.output.confidence, 'medium');
    assert.equal(run.output.riskScore, 2);
    assert.equal(run.identity.model, null);
    assert.deepEqual(run.tokens, { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    assert.match(run.output.rationale, /The model was not called/);
  });
});
