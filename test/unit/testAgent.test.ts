import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { testsConfigSchema } from '../../config/schema.js';
import { createClaudeTestAgent, generatedPathProblem, newFilesPatch } from '../../activities/tests/claude.js';
import type { TestInput } from '../../activities/tests/agent.js';
import { loadPrompt } from '../../activities/llm/prompts.js';
import type { ModelClient, Prompt, StructuredRequest, StructuredResult } from '../../activities/llm/types.js';
import type { DiffFile } from '../../workflows/policy/diff.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/test-agent-repo', import.meta.url));

/** A model that answers from a script, in order, and records what it was asked. */
class ScriptedModel implements ModelClient {
  readonly model = 'scripted-model';
  readonly requests: { user: string; schemaName: string; prompt: Prompt }[] = [];
  constructor(private readonly answers: unknown[]) {}

  async structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredResult<z.infer<S>>> {
    this.requests.push({ user: request.user, schemaName: request.schemaName, prompt: request.prompt });
    if (this.answers.length === 0) throw new Error(`unexpected model call #${this.requests.length}`);
    const output: z.infer<S> = request.schema.parse(this.answers.shift());
    return {
      output,
      tokens: { input: 100, output: 50, cacheRead: 10, cacheWrite: 0 },
      identity: { agent: request.prompt.agent, agentVersion: request.prompt.version, model: this.model, promptSha256: request.prompt.sha256 },
      calls: 1,
    };
  }
}

const tests = testsConfigSchema.parse({
  command: ['npm', 'test', '--silent'],
  coverageReport: 'coverage/lcov.info',
  timeoutSeconds: 60,
  generatedTestDir: 'test/generated',
  framework: 'node:test with node:assert/strict, ES modules',
});

/**
 * The PR added applyDiscount (lines 11-20) and formatReceipt (22-26); the repo's tests run neither, except
 * for the lines V8 counts when the module loads (11, 21, 22): the baseline's diff coverage is 3/16.
 */
async function changedFiles(workdir: string): Promise<DiffFile[]> {
  const source = (await readFile(path.join(workdir, 'src/orders.js'), 'utf8')).split('\n');
  const added = [];
  for (let line = 11; line <= 26; line++) added.push({ line, text: source[line - 1] ?? '' });
  return [{ path: 'src/orders.js', oldPath: null, status: 'modified', binary: false, added, removed: [] }];
}

async function scratchCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prpilot-test-agent-'));
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

/** Every file under dir with the sha256 of its content: to show a tree was not touched. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  return Promise.all(files.map(async (file) => `${file} ${createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex')}`));
}

const header = `import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n`;

/** (a) imports a fixture that does not exist: caught by running it. */
const missingFixture = {
  path: 'test/generated/apply-discount.test.js',
  content: `${header}import orders from '../fixtures/orders.json' with { type: 'json' };\nimport { applyDiscount } from '../../src/orders.js';\n\n`
    + `test('HALF halves the total', () => {\n  assert.equal(applyDiscount(orders[0], 'HALF'), 600);\n});\n`,
  rationale: 'runs applyDiscount with the orders fixture',
};
/** (a) the fix: the fixture that exists. */
const discountTest = {
  path: 'test/generated/apply-discount.test.js',
  content: `${header}import { readFileSync } from 'node:fs';\nimport { applyDiscount } from '../../src/orders.js';\n\n`
    + `const order = JSON.parse(readFileSync(new URL('../fixtures/order-1001.json', import.meta.url), 'utf8'));\n\n`
    + `test('HALF halves the total', () => {\n  assert.equal(applyDiscount(order, 'HALF'), 600);\n});\n\n`
    + `test('TENOFF takes 10.00 off', () => {\n  assert.equal(applyDiscount(order, 'TENOFF'), 200);\n});\n\n`
    + `test('an unknown code throws', () => {\n  assert.throws(() => applyDiscount(order, 'FREE'), /unknown discount code: FREE/);\n});`, // no final newline
  rationale: 'fixed: test/fixtures/orders.json does not exist, order-1001.json does',
};
/** (b) passes, but only runs orderTotal, which the repo's own test already runs. */
const redundantTest = {
  path: 'test/generated/order-total.test.js',
  content: `${header}import { orderTotal } from '../../src/orders.js';\n\ntest('an empty order costs nothing', () => {\n  assert.equal(orderTotal({ items: [] }), 0);\n});\n`,
  rationale: 'checks the empty order',
};
/** (c) runs formatReceipt, but fails every third run (a counter file outside the test dir). */
const flakyTest = {
  path: 'test/generated/receipt.test.js',
  content: `${header}import { readFileSync, writeFileSync } from 'node:fs';\nimport { formatReceipt } from '../../src/orders.js';\n\n`
    + `const counter = new URL('../../.receipt-runs', import.meta.url);\n`
    + `let runs = 0;\ntry { runs = Number(readFileSync(counter, 'utf8')); } catch {}\nruns += 1;\nwriteFileSync(counter, String(runs));\n\n`
    + `test('the receipt ends with the total', () => {\n  const receipt = formatReceipt({ items: [{ name: 'tea', priceCents: 250, quantity: 2 }] });\n`
    + `  assert.match(receipt, /total: 5.00$/);\n  assert.ok(runs % 3 !== 0, 'timing-dependent');\n});\n`,
  rationale: 'checks the receipt total line',
};

describe('Claude test agent (scripted model, real fixture repo)', { timeout: 120_000 }, () => {
  let prompt: Prompt;
  let workdir: string;
  let fixtureBefore: string[];
  const model = new ScriptedModel([missingFixture, discountTest, redundantTest, flakyTest]);
  let heartbeats = 0;
  let run: Awaited<ReturnType<ReturnType<typeof createClaudeTestAgent>['run']>>;
  const cleanup: string[] = [];

  before(async () => {
    prompt = await loadPrompt('tests');
    fixtureBefore = await snapshot(FIXTURE);
    workdir = await scratchCopy();
    cleanup.push(workdir);
    const input: TestInput = {
      workdir,
      files: await changedFiles(workdir),
      tests,
      coverageGaps: [
        { file: 'src/orders.js', description: 'applyDiscount (lines 11-20) is not tested' },
        { file: 'src/orders.js', description: 'orderTotal is not tested with an empty order' },
        { file: 'src/orders.js', description: 'formatReceipt (lines 22-26) is not tested' },
      ],
      heartbeat: () => { heartbeats += 1; },
      signal: new AbortController().signal,
    };
    run = await createClaudeTestAgent(model, prompt).run(input);
  });

  after(async () => {
    await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('(a) catches a test importing a missing fixture by running it, feeds the failure back, keeps the fix', () => {
    const [first] = run.output.generatedTests;
    assert.deepEqual({ file: first?.file, kept: first?.kept, attempts: first?.attempts }, { file: 'test/generated/apply-discount.test.js', kept: true, attempts: 2 });
    assert.match(first?.reason ?? '', /^passed 5 runs in a row; diff coverage 18\.8% → 75% \(9 more changed lines run\)$/);
    const retry = model.requests[1]?.user ?? '';
    assert.match(retry, /attempt 2 of 3/);
    assert.match(retry, /<untrusted [0-9a-f]+ label="failure output">[\s\S]*Cannot find module '<repo>\/test\/fixtures\/orders\.json'/);
    assert.match(retry, /<untrusted [0-9a-f]+ label="previous attempt">[\s\S]*orders\.json/);
    assert.doesNotMatch(model.requests[0]?.user ?? '', /failure output/);
    assert.ok(!retry.includes(workdir), 'the scratch path is not shown to the model');
  });

  it('tells the model which files exist, the changed lines not yet run, and the repo conventions', () => {
    const first = model.requests[0]?.user ?? '';
    assert.match(first, /label="repository files">\n(.*\n)*test\/fixtures\/order-1001\.json\n/);
    assert.doesNotMatch(first, /fixtures\/orders\.json/);
    assert.match(first, /do not run yet: 12-20, 23-26\./);
    assert.match(first, /label="existing test test\/orders\.test\.js"/);
    assert.match(first, /label="source src\/orders\.js">\n 1\| \/\*\* Order arithmetic/);
    // Gap 3 comes after the discount test was kept: only formatReceipt's lines are still missing.
    assert.match(model.requests[3]?.user ?? '', /do not run yet: 23-26\./);
  });

  it('(b) drops a passing test that runs no changed line that did not run before', () => {
    const second = run.output.generatedTests[1];
    assert.equal(second?.file, 'test/generated/order-total.test.js');
    assert.equal(second?.kept, false);
    assert.equal(second?.attempts, 1);
    assert.match(second?.reason ?? '', /^does not raise coverage/);
  });

  it('(c) drops a test that fails on one of its repeated runs as flaky', () => {
    const third = run.output.generatedTests[2];
    assert.equal(third?.file, 'test/generated/receipt.test.js');
    assert.equal(third?.kept, false);
    assert.match(third?.reason ?? '', /^flaky: passed 2 runs in a row, then failed with exit code 1 on run 3 of 5/);
  });

  it('deletes dropped tests from the workdir and reports coverage with the kept one', async () => {
    assert.deepEqual(await readdir(path.join(workdir, 'test/generated')), ['apply-discount.test.js']);
    assert.equal(run.output.passed, true);
    assert.deepEqual(run.output.diffCoverage && { covered: run.output.diffCoverage.covered, total: run.output.diffCoverage.total }, { covered: 12, total: 16 });
    assert.match(run.output.summary, /passed, line coverage [\d.]+%; generated tests for 3 coverage gaps: kept 1, dropped 2; diff coverage 18\.8% → 75% with the kept tests/);
  });

  it('sums tokens over calls and records the prompt and model it used', () => {
    assert.equal(model.requests.length, 4);
    assert.ok(model.requests.every((r) => r.schemaName === 'generated_test' && r.prompt === prompt));
    assert.deepEqual(run.tokens, { input: 400, output: 200, cacheRead: 40, cacheWrite: 0 });
    assert.deepEqual(run.identity, { agent: 'tests', agentVersion: prompt.version, model: 'scripted-model', promptSha256: prompt.sha256 });
    assert.match(prompt.version, /^tests\/\d+\.\d+\.\d+$/);
    assert.ok(heartbeats > 0);
  });

  it('logs every run, with the scratch path scrubbed', () => {
    assert.match(run.log, /^== baseline: npm test --silent \(passed/);
    assert.match(run.log, /== gap 1 attempt 1: test\/generated\/apply-discount\.test\.js \(exit code 1/);
    assert.match(run.log, /== gap 3 attempt 1: test\/generated\/receipt\.test\.js \(stability run 3 of 5\) \(exit code 1/);
    assert.ok(!run.log.includes(workdir));
  });

  it('(d) returns a patch with only the kept test, which applies cleanly to the fixture', async () => {
    const patch = run.patch ?? '';
    assert.deepEqual(patch.match(/^diff --git .*$/gm), ['diff --git a/test/generated/apply-discount.test.js b/test/generated/apply-discount.test.js']);
    const repo = await scratchCopy();
    cleanup.push(repo);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    git('init', '--quiet');
    await writeFile(path.join(repo, 'kept.patch'), patch);
    git('apply', '--check', 'kept.patch');
    git('apply', 'kept.patch');
    assert.equal(await readFile(path.join(repo, discountTest.path), 'utf8'), `${discountTest.content}\n`);
  });

  it('(e) leaves the fixture repository untouched', async () => {
    assert.deepEqual(await snapshot(FIXTURE), fixtureBefore);
  });
});

describe('Claude test agent, baseline failing', { timeout: 60_000 }, () => {
  it('generates nothing and reports the failure as the offline agent does', async () => {
    const workdir = await scratchCopy();
    try {
      await writeFile(path.join(workdir, 'test/broken.test.js'), `import assert from 'node:assert/strict';\nimport { test } from 'node:test';\ntest('broken', () => assert.equal(1, 2));\n`);
      const model = new ScriptedModel([]);
      const run = await createClaudeTestAgent(model, await loadPrompt('tests')).run({
        workdir, files: await changedFiles(workdir), tests,
        coverageGaps: [{ file: 'src/orders.js', description: 'applyDiscount is not tested' }],
        heartbeat: () => {}, signal: new AbortController().signal,
      });
      assert.equal(model.requests.length, 0);
      assert.equal(run.output.passed, false);
      assert.equal(run.output.exitCode, 1);
      assert.deepEqual(run.output.generatedTests, []);
      assert.equal(run.patch, undefined);
      assert.equal(run.output.summary, '`npm test --silent` failed with exit code 1; no tests generated: the existing tests must pass first');
      assert.deepEqual(run.tokens, { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  });
});

describe('Claude test agent, cancelled', { timeout: 60_000 }, () => {
  it('stops with the cancellation instead of reporting a result', async () => {
    const workdir = await scratchCopy();
    try {
      const controller = new AbortController();
      controller.abort(new Error('activity cancelled'));
      const model = new ScriptedModel([discountTest]);
      await assert.rejects(createClaudeTestAgent(model, await loadPrompt('tests')).run({
        workdir, files: await changedFiles(workdir), tests,
        coverageGaps: [{ file: 'src/orders.js', description: 'applyDiscount is not tested' }],
        heartbeat: () => {}, signal: controller.signal,
      }), /activity cancelled/);
      assert.equal(model.requests.length, 0);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  });
});

describe('Claude test agent, hostile gaps', { timeout: 60_000 }, () => {
  it('never sends a file outside the repository to the model, even through a symbolic link', async () => {
    const workdir = await scratchCopy();
    const outside = await mkdtemp(path.join(os.tmpdir(), 'prpilot-secret-'));
    try {
      await writeFile(path.join(outside, 'credentials'), 'SECRET=hunter2\n');
      await symlink(path.join(outside, 'credentials'), path.join(workdir, 'src/leak.js'));
      const model = new ScriptedModel([]);
      const run = await createClaudeTestAgent(model, await loadPrompt('tests')).run({
        workdir, files: await changedFiles(workdir), tests,
        coverageGaps: [
          { file: 'src/leak.js', description: 'leak is not tested' },
          { file: '../../etc/passwd', description: 'passwd is not tested' },
        ],
        heartbeat: () => {}, signal: new AbortController().signal,
      });
      assert.equal(model.requests.length, 0);
      assert.deepEqual(run.output.generatedTests.map((t) => [t.kept, t.attempts, t.reason]), [
        [false, 0, 'not attempted: src/leak.js is not a regular file in the head'],
        [false, 0, 'not attempted: the gap\'s file "../../etc/passwd" is not a path inside the repository'],
      ]);
      assert.match(run.output.summary, /generated tests for 0 coverage gaps: kept 0, dropped 0, 2 gaps not attempted$/);
    } finally {
      await rm(workdir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('generated test paths and patches', () => {
  it('accepts only plain relative paths under the configured directory', () => {
    const cases: [string, boolean][] = [
      ['test/generated/ok.test.js', true],
      ['test/generated/deep/ok.test.js', true],
      ['test/generated', false],
      ['test/generated/../../escape.test.js', false],
      ['../outside.test.js', false],
      ['/etc/passwd', false],
      ['C:/tmp/x.test.js', false],
      ['test\\generated\\x.test.js', false],
      ['test/generated//x.test.js', false],
      ['test/generated/./x.test.js', false],
      ['src/orders.test.js', false],
      ['test/generated/node_modules/x.js', false],
    ];
    for (const [candidate, ok] of cases) {
      assert.equal(generatedPathProblem(candidate, 'test/generated/') === null, ok, candidate);
    }
  });

  it('builds new-file hunks that count the lines, with or without a final newline', () => {
    assert.equal(newFilesPatch([{ path: 'a/x.js', content: 'one\ntwo' }, { path: 'b.js', content: 'x\n' }]),
      'diff --git a/a/x.js b/a/x.js\nnew file mode 100644\n--- /dev/null\n+++ b/a/x.js\n@@ -0,0 +1,2 @@\n+one\n+two\n'
      + 'diff --git a/b.js b/b.js\nnew file mode 100644\n--- /dev/null\n+++ b/b.js\n@@ -0,0 +1,1 @@\n+x\n');
  });
});
