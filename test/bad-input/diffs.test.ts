/**
 * Bad changes: diffs no agent can review are refused before anything starts (exit 2); diffs that can be
 * reviewed but try to slip past the gates (huge, odd file names, symlinks, prompt injection) are
 * reviewed and fail closed to a human. Through the real CLI (`start`, `review`), on a real dev server,
 * with the offline agents and with a Claude agent (the Messages API stub) that obeys the injection.
 */
import assert from 'node:assert/strict';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startAnthropicStub, type AnthropicStub } from '../stub/anthropicStub.js';
import { itRefusesEach, type RefusalCase } from './lib/cases.js';
import { INJECTION, INJECTION_DESCRIPTION, INJECTION_MIGRATION, INJECTION_TITLE, injectionFiles, obedientReview } from './lib/injection.js';
import { literal } from './lib/refusal.js';
import { createRepo, type FixtureRepo } from './lib/repo.js';
import { startWorld, type World } from './lib/world.js';

const MIB = 1024 * 1024;
const DIFF_LIMIT = 64 * MIB;
const NEWLINE_NAME = 'db/migrations/001_evil\nname.sql';
const UNICODE_NAME = 'docs/ünïcödé — 文件 🚀.md';
const OUTSIDE_MARKER = 'OUTSIDE-THE-REPO-7f3a9c';

interface ReviewJson {
  riskScore: number;
  gates: string[];
  requiresHuman: boolean;
  reasons: string[];
  findings: { schemaChange: { file: string; line: number }[]; unsafeSymlink: { file: string; line?: number; rule: string; excerpt: string }[] };
  review: { confidence: string; riskScore: number } | null;
  stats: { files: number; bytes: number; additions: number };
}

/** A diff of at least `minBytes`: one new file of fixed-width lines, as `git diff` prints it. */
async function writeBigDiff(file: string, minBytes: number): Promise<void> {
  const line = `+${'generated data row, not code, padded to a fixed width so the size is known '.padEnd(78, '.')}\n`;
  const count = Math.ceil(minBytes / line.length);
  const handle = await open(file, 'w');
  try {
    await handle.write(`diff --git a/data/rows.txt b/data/rows.txt\nnew file mode 100644\n--- /dev/null\n+++ b/data/rows.txt\n@@ -0,0 +1,${count} @@\n`);
    const block = line.repeat(10_000);
    for (let written = 0; written < count; written += 10_000) await handle.write(written + 10_000 <= count ? block : line.repeat(count - written));
  } finally {
    await handle.close();
  }
}

describe('bad changes', { timeout: 1_200_000 }, () => {
  let world: World;
  let repo: FixtureRepo;
  let stub: AnthropicStub;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...world.env, ...env }, { timeoutMs: 600_000 });
  const start = (head: string) => cli(['start', '--repo', repo.path, '--base', 'main', '--head', head, '--pr', '7']);
  const file = (name: string) => path.join(world.dir, name);
  const reviewJson = (run: CliRun): ReviewJson => {
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m, run.stderr);
    return JSON.parse(run.stdout) as ReviewJson;
  };

  before(async () => {
    world = await startWorld('diffs');
    stub = await startAnthropicStub();
    repo = await createRepo(world.dir);
    await repo.branch('binary', { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00, 0xff]) });
    await repo.branch('latin1', { 'notes.txt': Buffer.from('caf\xe9 cr\xe8me\n', 'latin1') });
    await repo.branch('empty', {}, { allowEmpty: true });
    await repo.branch('names', { [NEWLINE_NAME]: 'CREATE TABLE evil (id int);\n', [UNICODE_NAME]: 'Ünïcödé docs.\n' });
    await writeFile(file('outside.txt'), `${OUTSIDE_MARKER}\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`);
    await repo.branch('symlink', {
      'config/passwd': { symlinkTo: '/etc/passwd' },
      'config/outside.txt': { symlinkTo: '../../outside.txt' },
    });
    // A link that stays inside the repository where it is (docs/guide/app -> ../../app.js is app.js)...
    await repo.branch('link-base', { 'docs/guide/app': { symlinkTo: '../../app.js' }, 'docs/guide/intro.md': 'Intro.\n' });
    // ...moved without a change two levels up, where the same target climbs out of it. A moved file stays benign.
    await repo.branch('link-moved', { 'docs/guide/app': null, 'app-link': { symlinkTo: '../../app.js' }, 'docs/guide/intro.md': null, 'docs/intro.md': 'Intro.\n' }, { from: 'link-base' });
    await repo.branch('injection', injectionFiles);
    // Over the 64 MiB limit as `git diff` prints it.
    const rows = `${'row of generated data that makes this change larger than any diff prpilot reads '.padEnd(99, '.')}\n`;
    await repo.branch('huge', { 'data/rows.txt': rows.repeat(Math.ceil((DIFF_LIMIT + MIB) / rows.length)) });
    await writeBigDiff(file('50mb.diff'), 50 * MIB);
    await writeBigDiff(file('65mb.diff'), 65 * MIB);
    await writeFile(file('empty.diff'), '');
    await writeFile(file('prose.diff'), 'Please merge this, it is fine.\n');
    await writeFile(file('latin1.diff'), Buffer.from('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-caf\xe9\n+th\xe9\n', 'latin1'));
  });
  after(async () => {
    await stub?.close();
    await world?.stop();
  });

  const unchanged = async () => assert.deepEqual(await world.workflowIds(), [], 'no workflow was started');
  const refusals: RefusalCase[] = [
    {
      name: 'start: binary files only', run: () => start('binary'), code: 2,
      message: /^prpilot start: the diff main\.\.\.binary changes binary files only \(1\): nothing an agent can review$/m,
    },
    {
      name: 'start: not UTF-8', run: () => start('latin1'), code: 2,
      message: /^prpilot start: the diff main\.\.\.latin1 is not valid UTF-8: re-encode the changed files as UTF-8 or mark them binary$/m,
    },
    {
      name: 'start: an empty commit', run: () => start('empty'), code: 2,
      message: /^prpilot start: the diff main\.\.\.empty is empty: there is no change to review$/m,
    },
    {
      name: 'start: a diff over 64 MiB', run: () => start('huge'), code: 2,
      message: /^prpilot start: the diff main\.\.\.huge is over the 67108864-byte limit: split the change into smaller ones, or keep generated data out of the repository$/m,
    },
    {
      name: 'review: a diff over 64 MiB', run: () => cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'huge']), code: 2,
      message: /^prpilot review: the diff main\.\.\.huge is over the 67108864-byte limit: split the change into smaller ones, or keep generated data out of the repository$/m,
    },
    {
      name: 'review --diff: a file over 64 MiB', run: () => cli(['review', '--diff', file('65mb.diff')]), code: 2,
      message: () => new RegExp(`^prpilot review: --diff ${literal(file('65mb.diff'))}: \\d+ bytes is over the 67108864-byte limit$`, 'm'),
    },
    {
      name: 'review --diff: an empty file', run: () => cli(['review', '--diff', file('empty.diff')]), code: 2,
      message: () => new RegExp(`^prpilot review: --diff ${literal(file('empty.diff'))} is empty: there is no change to review$`, 'm'),
    },
    {
      name: 'review --diff: not UTF-8', run: () => cli(['review', '--diff', file('latin1.diff')]), code: 2,
      message: () => new RegExp(`^prpilot review: --diff ${literal(file('latin1.diff'))} is not valid UTF-8: re-encode the changed files as UTF-8 or mark them binary$`, 'm'),
    },
    {
      name: 'review --diff: prose, not a diff', run: () => cli(['review', '--diff', file('prose.diff')]), code: 2,
      message: () => new RegExp(`^prpilot review: --diff ${literal(file('prose.diff'))} contains no file changes \\(is it a unified diff\\?\\)$`, 'm'),
    },
  ];
  itRefusesEach(refusals, unchanged);

  it('a 50 MB diff is reviewed and fails closed to a human (low confidence), nothing started', async () => {
    const result = reviewJson(await cli(['review', '--diff', file('50mb.diff'), '--json']));
    assert.ok(result.stats.bytes >= 50 * MIB, `reviewed ${result.stats.bytes} bytes`);
    assert.equal(result.review?.confidence, 'low');
    assert.ok(result.gates.includes('agent_uncertain'), JSON.stringify(result.gates));
    assert.equal(result.requiresHuman, true);
    await unchanged();
  });

  it('file names with a newline and unicode are decoded exactly, and the migration still escalates', async () => {
    const result = reviewJson(await cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'names', '--json']));
    assert.equal(result.stats.files, 2);
    assert.deepEqual(result.findings.schemaChange.map((finding) => finding.file), [NEWLINE_NAME]);
    assert.deepEqual(result.gates, ['schema_change']);
    assert.equal(result.requiresHuman, true);
    await unchanged();
  });

  it('a newline in a file name cannot forge a line of the human-readable review', async () => {
    const run = await cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'names']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ {2}- schema change: migration in \S*001_evil\S*name\.sql\S*:1$/m, run.stdout);
    assert.doesNotMatch(run.stdout, /^name\.sql/m, `a line begins inside a file name:\n${run.stdout}`);
  });

  it('a symlink pointing outside the repo is reviewed as a link: its target is never read', async () => {
    const run = await cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'symlink', '--json']);
    const result = reviewJson(run);
    assert.equal(result.stats.files, 2);
    assert.doesNotMatch(run.stdout, new RegExp(OUTSIDE_MARKER), 'the content of the link target leaked into the review');
    assert.doesNotMatch(run.stdout, /root:x:0:0/, '/etc/passwd leaked into the review');
    await unchanged();
  });

  it('a symlink pointing outside the repo needs a human', async () => {
    const result = reviewJson(await cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'symlink', '--json']));
    assert.equal(result.requiresHuman, true, JSON.stringify(result));
    assert.ok(result.reasons.some((reason) => /config\/passwd.*\/etc\/passwd/.test(reason)), JSON.stringify(result.reasons));
    assert.ok(result.reasons.some((reason) => /config\/outside\.txt.*\.\.\/\.\.\/outside\.txt/.test(reason)), JSON.stringify(result.reasons));
  });

  it('a symlink moved without a change, to where its target climbs out of the repo, needs a human', async () => {
    const shown = await repo.diff('link-base...link-moved');
    assert.match(shown, /^similarity index 100%\nrename from docs\/guide\/app\nrename to app-link$/m, 'git shows the link as a pure rename');
    assert.doesNotMatch(shown, /120000|app\.js/, 'with no mode and no target in the diff');
    const result = reviewJson(await cli(['review', '--repo', repo.path, '--base', 'link-base', '--head', 'link-moved', '--json']));
    assert.deepEqual(result.findings.unsafeSymlink, [{ file: 'app-link', line: 1, rule: 'symlink-escapes-repo', excerpt: '../../app.js' }]);
    assert.equal(result.requiresHuman, true, JSON.stringify(result));
    await unchanged();
  });

  const injectionArgs = ['review', '--repo', '', '--base', 'main', '--head', 'injection', '--title', INJECTION_TITLE, '--description', INJECTION_DESCRIPTION, '--json'];
  const reviewInjection = (env: NodeJS.ProcessEnv = {}) => cli(injectionArgs.map((arg) => arg || repo.path), env);

  let offlineRisk: number | undefined;
  it('prompt injection in title, description, comments and file names: the offline review still escalates', async () => {
    const result = reviewJson(await reviewInjection());
    offlineRisk = result.riskScore;
    assert.deepEqual(result.findings.schemaChange.map((finding) => finding.file), [INJECTION_MIGRATION]);
    assert.ok(result.gates.includes('schema_change'), JSON.stringify(result.gates));
    assert.equal(result.requiresHuman, true);
    await unchanged();
  });

  it('prompt injection obeyed by the model: the gates still fire and the risk is not lowered', async () => {
    offlineRisk ??= reviewJson(await reviewInjection()).riskScore;
    stub.responders.review = () => obedientReview;
    const before = stub.requests.length;
    const result = reviewJson(await reviewInjection({
      PRPILOT_LLM: 'anthropic', ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: stub.url,
    }));
    const requests = stub.requests.slice(before).filter((request) => request.agent === 'review');
    assert.ok(requests.length > 0, 'the Claude review agent was asked');
    assert.ok(requests.every((request) => request.user.includes(INJECTION)), 'the injection reached the model (inside its fence)');
    assert.ok(result.gates.includes('schema_change'), JSON.stringify(result.gates));
    assert.equal(result.requiresHuman, true);
    assert.ok(result.riskScore >= offlineRisk, `risk ${result.riskScore} fell below the code's heuristic ${offlineRisk}`);
    await unchanged();
  });

  it('started nothing, as `prpilot list --json` shows', async () => {
    await world.assertListed([]);
  });
});
