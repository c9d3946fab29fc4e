import { lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TokenUsage } from '../../workflows/messages.js';
import { NO_TOKENS } from '../../workflows/records.js';
import { displayPath } from '../../workflows/policy/displayPath.js';
import type { AgentIdentity } from '../agent.js';
import { fence } from '../llm/fence.js';
import { addTokens, type ModelClient, type Prompt } from '../llm/types.js';
import type { TestAgent, TestInput } from './agent.js';
import type { TestReport } from './schema.js';
import { notRunReport, reportOfRun, runTestCommand, type MeasuredCoverage, type TestRun } from './testRun.js';

/** What the model returns for one coverage gap: one new test file. */
export const generatedTestSchema = z.object({
  path: z.string().describe('the new test file, relative to the repository root, under the configured directory'),
  content: z.string().describe('the whole test file'),
  rationale: z.string().describe('which changed lines the test runs and what it checks; on a retry, what was fixed'),
});
export type GeneratedTestFile = z.infer<typeof generatedTestSchema>;
export type GeneratedTestEntry = TestReport['generatedTests'][number];

/** At most this many coverage gaps get tests per run: each costs model calls and several test runs. */
export const MAX_GAPS = 5;
const MAX_TEST_BYTES = 100_000;
const SOURCE_CHARS = 60_000;
const MAX_SOURCE_BYTES = 2_000_000;
const EXAMPLE_CHARS = 6_000;
const FAILURE_CHARS = 8_000;
const MAX_LISTED_FILES = 400;
const LOG_SECTION_CHARS = 16_000;
const LOG_TOTAL_CHARS = 2_000_000;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
/** Every run starts without a coverage report, so a stale one is never read as fresh. */
const RUN_OPTIONS = { clearCoverage: true } as const;

/**
 * The test agent with a model: runs the repository's tests once (the baseline), then for each coverage
 * gap asks the model for one test file, writes it into the scratch workdir, runs the configured command
 * and feeds failures back (at most `maxAttempts`). A passing test is kept only if it passes `stableRuns`
 * runs in a row and runs changed lines no test ran before; anything else is deleted again and recorded
 * with the reason. The kept tests come back as a patch (new files only) for the activity to store as an
 * artifact: nothing is committed to the author's branch, and the workdir is a private copy.
 */
export function createClaudeTestAgent(model: ModelClient, prompt: Prompt): TestAgent {
  const identity: AgentIdentity = { agent: 'tests', agentVersion: prompt.version, model: model.model, promptSha256: prompt.sha256 };
  return {
    async run(input: TestInput) {
      const { command, timeoutSeconds } = input.tests;
      if (!command) return { output: notRunReport(), identity, tokens: { ...NO_TOKENS }, log: '' };
      const log = new RunLog(await scrubberFor(input.workdir));

      input.heartbeat();
      const baseline = await runTestCommand(input, command, RUN_OPTIONS);
      log.add(`baseline: ${command.join(' ')}`, baseline);
      throwIfCancelled(input, baseline);
      const skip = reasonNotToGenerate(input, baseline);
      if (skip) {
        const report = reportOfRun(command, baseline, timeoutSeconds);
        return { output: { ...report, summary: `${report.summary}; ${skip}` }, identity, tokens: { ...NO_TOKENS }, log: log.text() };
      }

      const generator = new GapGenerator(model, prompt, input, command, baseline, log);
      const gaps = input.coverageGaps.slice(0, MAX_GAPS);
      const entries: GeneratedTestEntry[] = [];
      for (const [index, gap] of gaps.entries()) {
        entries.push(await generator.fill(gap, index, gaps.length));
      }

      const final = generator.reference;
      const report = reportOfRun(command, final, timeoutSeconds);
      const summary = [
        report.summary,
        generationSummary(entries, input.coverageGaps.length - gaps.length),
        ...(generator.kept.length > 0 && baseline.coverage && final.coverage
          ? [`diff coverage ${baseline.coverage.diff.percent}% → ${final.coverage.diff.percent}% with the kept tests (offered as a patch, not committed)`]
          : []),
      ].join('; ');
      return {
        output: { ...report, generatedTests: entries, summary },
        identity,
        tokens: generator.tokens,
        log: log.text(),
        ...(generator.kept.length > 0 ? { patch: newFilesPatch(generator.kept) } : {}),
      };
    },
  };
}

type Gap = TestInput['coverageGaps'][number];
/** A failed attempt, fed back to the model: `outcome` in a few words, `failure` with the (clipped) output. */
interface Attempt { file: GeneratedTestFile; outcome: string; failure: string }

/** Generates, checks and keeps or drops tests gap by gap; `reference` is the run every new test must beat. */
class GapGenerator {
  tokens: TokenUsage = { ...NO_TOKENS };
  readonly kept: GeneratedTestFile[] = [];
  /** The last run with exactly the kept tests in place: the baseline until a test is kept. */
  reference: TestRun;
  private readonly dir: string;
  private readonly settings: TestInput['tests'];

  constructor(
    private readonly model: ModelClient,
    private readonly prompt: Prompt,
    private readonly input: TestInput,
    private readonly command: string[],
    baseline: TestRun,
    private readonly log: RunLog,
  ) {
    this.reference = baseline;
    this.settings = input.tests;
    this.dir = normalizeDir(input.tests.generatedTestDir);
  }

  async fill(gap: Gap, index: number, count: number): Promise<GeneratedTestEntry> {
    const entry = (file: string, kept: boolean, attempts: number, reason: string): GeneratedTestEntry =>
      ({ file, gap: clip(`${displayPath(gap.file)}: ${gap.description}`, 300), kept, attempts, reason });
    if (pathProblem(gap.file) !== null) return entry('', false, 0, `not attempted: the gap's file ${JSON.stringify(gap.file)} is not a path inside the repository`);
    const source = await readInside(this.input.workdir, gap.file);
    if (source === null) return entry('', false, 0, `not attempted: ${displayPath(gap.file)} is not a regular file in the head`);
    const uncovered = this.uncoveredChangedLines(gap.file);
    if (uncovered !== null && uncovered.length === 0) {
      return entry('', false, 0, `not attempted: every changed line of ${displayPath(gap.file)} the coverage report knows already runs`);
    }

    let previous: Attempt | null = null;
    const maxAttempts = this.settings.maxAttempts;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const user = await this.request({ gap, index, count, source, uncovered, attempt, maxAttempts, previous });
      const result = await this.whileWaiting(this.model.structured({ prompt: this.prompt, user, schema: generatedTestSchema, schemaName: 'generated_test', maxTokens: 8192 }));
      this.tokens = addTokens(this.tokens, result.tokens);
      const candidate: GeneratedTestFile = { ...result.output, content: normalizeContent(result.output.content) };
      const label = `gap ${index + 1} attempt ${attempt}: ${candidate.path}`;

      const rejected = await this.write(candidate);
      if (rejected) {
        this.log.note(label, `rejected: ${rejected}`);
        previous = { file: candidate, outcome: `not written: ${rejected}`, failure: `The file was not written: ${rejected}` };
        continue;
      }
      this.input.heartbeat();
      const run = await runTestCommand(this.input, this.command, RUN_OPTIONS);
      this.log.add(label, run);
      throwIfCancelled(this.input, run);
      if (!run.passed) {
        await this.remove(candidate);
        const outcome = this.outcome(run);
        previous = { file: candidate, outcome, failure: `The test command ${outcome}. Output:\n${clip(this.log.scrub(run.result.output), FAILURE_CHARS)}` };
        continue;
      }
      return entry(candidate.path, ...(await this.judge(candidate, run, label, attempt)));
    }
    const last = clip(previous?.outcome ?? 'no attempt', 200);
    return entry(previous?.file.path ?? '', false, maxAttempts, `still failing after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'}: the last one ${last}`);
  }

  /** A candidate that passed once: keep it only if it is stable and raises coverage. */
  private async judge(candidate: GeneratedTestFile, first: TestRun, label: string, attempts: number): Promise<[kept: boolean, attempts: number, reason: string]> {
    const runs = this.settings.stableRuns;
    let last = first;
    for (let run = 2; run <= runs; run++) {
      this.input.heartbeat();
      last = await runTestCommand(this.input, this.command, RUN_OPTIONS);
      this.log.add(`${label} (stability run ${run} of ${runs})`, last);
      throwIfCancelled(this.input, last);
      if (!last.passed) {
        await this.remove(candidate);
        return [false, attempts, `flaky: passed ${run - 1} run${run === 2 ? '' : 's'} in a row, then ${this.outcome(last)} on run ${run} of ${runs}`];
      }
    }
    if (!last.coverage || !this.reference.coverage) {
      await this.remove(candidate);
      return [false, attempts, `does not raise coverage: the coverage report ${this.settings.coverageReport} was not written`];
    }
    const raise = coverageRaise(this.reference.coverage, last.coverage, this.dir);
    if (!raise.raised) {
      await this.remove(candidate);
      return [false, attempts, `does not raise coverage: ${raise.detail}`];
    }
    this.kept.push(candidate);
    this.reference = last;
    return [true, attempts, `passed ${runs} run${runs === 1 ? '' : 's'} in a row; ${raise.detail}`];
  }

  /** Changed lines of the file the current reference run does not execute; null if the report cannot tell. */
  private uncoveredChangedLines(file: string): number[] | null {
    const lines = this.reference.coverage?.lines.get(file);
    const diff = this.input.files.find((f) => f.path === file);
    if (!lines || !diff) return null;
    const known = diff.added.filter((added) => lines.has(added.line));
    if (known.length === 0) return null;
    return known.filter((added) => (lines.get(added.line) ?? 0) === 0).map((added) => added.line);
  }

  private async request(r: {
    gap: Gap; index: number; count: number; source: string; uncovered: number[] | null; attempt: number; maxAttempts: number;
    previous: Attempt | null;
  }): Promise<string> {
    const files = await listFiles(this.input.workdir, this.settings.coverageReport);
    const example = await this.exampleTest(files, r.gap.file);
    const settings = {
      framework: this.settings.framework,
      generatedTestDir: this.dir,
      testCommand: this.command.join(' '),
      coverageFormat: 'lcov',
    };
    const parts = [
      `Write one new test file for coverage gap ${r.index + 1} of ${r.count} (attempt ${r.attempt} of ${r.maxAttempts}).`,
      `Settings from the repository's prpilot config:\n${fence('settings', JSON.stringify(settings, null, 2))}`,
      `The file must go under ${JSON.stringify(this.dir === '.' ? '(anywhere in the repository)' : `${this.dir}/`)}, relative to the repository root, and must not exist yet.`,
      `The gap, in ${JSON.stringify(r.gap.file)}:\n${fence('gap description', r.gap.description)}`,
      r.uncovered === null
        ? 'Changed lines the tests do not run yet: the coverage report cannot tell for this file; aim at the lines the description names.'
        : `Changed lines of ${JSON.stringify(r.gap.file)} the tests do not run yet: ${ranges(r.uncovered)}.`,
      `Source under test, ${JSON.stringify(r.gap.file)}, with line numbers:\n${fence(`source ${r.gap.file}`, numbered(clip(r.source, SOURCE_CHARS)))}`,
      `Files that exist in the repository (nothing else does):\n${fence('repository files', files.join('\n'))}`,
      ...(example ? [`An existing test, ${JSON.stringify(example.path)}, showing the repository's conventions:\n${fence(`existing test ${example.path}`, example.text)}`] : []),
      ...(r.previous
        ? [
            `Your previous attempt, ${JSON.stringify(r.previous.file.path)}:\n${fence('previous attempt', r.previous.file.content)}`,
            `It failed. Failure output (data from the test run):\n${fence('failure output', r.previous.failure)}`,
            'Fix the cause and return the whole corrected file.',
          ]
        : []),
      'Return only the generated_test JSON object: path, content, rationale.',
    ];
    return parts.join('\n\n');
  }

  private async exampleTest(files: string[], sourceFile: string): Promise<{ path: string; text: string } | null> {
    const ext = path.posix.extname(sourceFile);
    const tests = files.filter((file) => looksLikeTest(file) && !insideDir(file, this.dir));
    const pick = tests.find((file) => path.posix.extname(file) === ext) ?? tests[0];
    if (!pick) return null;
    const text = await readInside(this.input.workdir, pick);
    return text === null ? null : { path: pick, text: clip(text, EXAMPLE_CHARS) };
  }

  /** Writes the candidate into the workdir, or says why it may not be written there. */
  private async write(file: GeneratedTestFile): Promise<string | null> {
    const problem = generatedPathProblem(file.path, this.dir);
    if (problem) return `path ${JSON.stringify(file.path)} ${problem}`;
    if (Buffer.byteLength(file.content) > MAX_TEST_BYTES) return `the file is larger than ${MAX_TEST_BYTES} bytes`;
    const segments = file.path.split('/');
    let current = this.input.workdir;
    for (const segment of segments.slice(0, -1)) {
      current = path.join(current, segment);
      const stat = await lstat(current).catch(() => null);
      if (!stat) await mkdir(current);
      else if (stat.isSymbolicLink() || !stat.isDirectory()) return `path ${JSON.stringify(file.path)}: ${path.relative(this.input.workdir, current)} is not a plain directory`;
    }
    try {
      await writeFile(path.join(this.input.workdir, file.path), file.content, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return `${JSON.stringify(file.path)} already exists; choose a new file name`;
      throw error;
    }
    return null;
  }

  private async remove(file: GeneratedTestFile): Promise<void> {
    await rm(path.join(this.input.workdir, file.path), { force: true });
  }

  private outcome(run: TestRun): string {
    return run.result.timedOut ? `timed out after ${this.settings.timeoutSeconds}s` : `failed with exit code ${run.result.exitCode}`;
  }

  /** Waits for a model call, heartbeating meanwhile, and gives up at once when the activity is cancelled. */
  private async whileWaiting<T>(work: Promise<T>): Promise<T> {
    const { signal, heartbeat } = this.input;
    if (signal.aborted) throw abortError(signal);
    const ticker = setInterval(heartbeat, 5_000);
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      clearInterval(ticker);
      signal.removeEventListener('abort', onAbort);
      heartbeat();
    }
  }
}

function reasonNotToGenerate(input: TestInput, baseline: TestRun): string | null {
  if (!baseline.passed) return 'no tests generated: the existing tests must pass first';
  if (input.coverageGaps.length === 0) return 'no coverage gaps to generate tests for';
  if (!input.tests.coverageReport) return 'no tests generated: without a coverage report (tests.coverageReport) a generated test cannot show that it raises coverage';
  if (!baseline.coverage) return `no tests generated: the coverage report ${input.tests.coverageReport} was not written`;
  const problem = dirProblem(input.tests.generatedTestDir);
  if (problem) return `no tests generated: tests.generatedTestDir ${JSON.stringify(input.tests.generatedTestDir)} ${problem}`;
  return null;
}

function generationSummary(entries: GeneratedTestEntry[], notAttempted: number): string {
  const kept = entries.filter((e) => e.kept).length;
  const generated = entries.filter((e) => e.attempts > 0).length;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [`generated tests for ${count(generated, 'coverage gap')}: kept ${kept}, dropped ${generated - kept}`];
  const skipped = entries.length - generated + notAttempted;
  if (skipped > 0) parts.push(`${count(skipped, 'gap')} not attempted${notAttempted > 0 ? ` (at most ${MAX_GAPS} per run)` : ''}`);
  return parts.join(', ');
}

/**
 * Does the candidate run changed lines no test ran before? Counted in lines, not percent: a test that
 * loads a file the report did not know yet adds lines to the total. Only when the report knows none of
 * the changed lines does it fall back to line coverage outside the generated tests themselves (which
 * are always fully covered, so they must not count).
 */
export function coverageRaise(reference: MeasuredCoverage, candidate: MeasuredCoverage, generatedDir: string): { raised: boolean; detail: string } {
  const before = reference.diff;
  const after = candidate.diff;
  if (after.covered > before.covered) {
    const more = after.covered - before.covered;
    return { raised: true, detail: `diff coverage ${before.percent}% → ${after.percent}% (${more} more changed line${more === 1 ? '' : 's'} run)` };
  }
  if (before.total === 0 && after.total === 0) {
    const a = coveredLines(reference, generatedDir);
    const b = coveredLines(candidate, generatedDir);
    return b > a
      ? { raised: true, detail: `the changed lines cannot be measured; ${b - a} more source lines run (line coverage ${reference.overall.percent}% → ${candidate.overall.percent}%)` }
      : { raised: false, detail: 'the changed lines cannot be measured and no source line runs that did not before' };
  }
  return { raised: false, detail: `diff coverage stays ${before.percent}% (no changed line runs that did not before)` };
}

function coveredLines(coverage: MeasuredCoverage, generatedDir: string): number {
  let covered = 0;
  for (const [file, lines] of coverage.lines) {
    if (insideDir(file, generatedDir)) continue;
    for (const hits of lines.values()) if (hits > 0) covered += 1;
  }
  return covered;
}

/** A unified diff that adds the given files (all new, mode 100644); applies with `git apply`. */
export function newFilesPatch(files: { path: string; content: string }[]): string {
  return files.map((file) => {
    const lines = ensureNewline(file.content).slice(0, -1).split('\n');
    return [
      `diff --git a/${file.path} b/${file.path}`,
      'new file mode 100644',
      '--- /dev/null',
      `+++ b/${file.path}`,
      `@@ -0,0 +1,${lines.length} @@`,
      ...lines.map((line) => `+${line}`),
    ].join('\n') + '\n';
  }).join('');
}

/** Why a generated file's path is not acceptable (null if it is): relative, plain, under the configured dir. */
export function generatedPathProblem(candidate: string, generatedDir: string): string | null {
  const problem = pathProblem(candidate);
  if (problem) return problem;
  const dir = normalizeDir(generatedDir);
  if (!insideDir(candidate, dir)) return `is not under ${dir}/`;
  if (candidate.split('/').some((segment) => SKIPPED_DIRS.has(segment))) return 'must not be inside .git or node_modules';
  return null;
}

function pathProblem(candidate: string): string | null {
  if (candidate.length === 0 || candidate.length > 300) return 'must be 1 to 300 characters long';
  if (candidate.includes('\0') || candidate.includes('\\')) return 'must use forward slashes and no control characters';
  if (candidate.startsWith('/') || /^[A-Za-z]:/.test(candidate)) return 'must be relative to the repository root';
  const segments = candidate.split('/');
  if (segments.includes('..')) return 'must not contain ".."';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'must be a plain relative path (no empty or "." segments)';
  return null;
}

function dirProblem(dir: string): string | null {
  const normalized = normalizeDir(dir);
  return normalized === '.' ? null : pathProblem(normalized) === null ? null : 'must be a relative path inside the repository, without ".."';
}

function normalizeDir(dir: string): string {
  const normalized = path.posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normalized === '' ? '.' : normalized;
}

function insideDir(file: string, dir: string): boolean {
  return dir === '.' || file.startsWith(`${dir}/`);
}

function looksLikeTest(file: string): boolean {
  const inTestDir = /(^|\/)(tests?|__tests__|spec)\//.test(file) && !/\.(json|ya?ml|txt|md|lock|snap|csv|html)$/.test(file);
  return (inTestDir && /\.[A-Za-z]+$/.test(file))
    || /[._-](test|spec)\.[A-Za-z]+$/.test(file)
    || /_test\.(go|py)$/.test(file)
    || /(^|\/)test_[^/]+\.py$/.test(file);
}

/**
 * A file of the workdir, or null if it is missing, too large, or a symbolic link: a PR could add a link to
 * a file of the machine running prpilot, and its content must never reach the model.
 */
async function readInside(root: string, relative: string): Promise<string | null> {
  const stat = await lstat(path.join(root, relative)).catch(() => null);
  if (!stat || !stat.isFile() || stat.size > MAX_SOURCE_BYTES) return null;
  const [real, realRoot] = await Promise.all([realpath(path.join(root, relative)), realpath(root)]).catch(() => [null, null]);
  if (!real || !realRoot || !real.startsWith(`${realRoot}${path.sep}`)) return null;
  return readFile(real, 'utf8').catch(() => null);
}

/** Files of the workdir, repo-relative and sorted, without .git, node_modules or the coverage report. */
async function listFiles(root: string, coverageReport: string | null): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (found.length >= MAX_LISTED_FILES) return;
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(relative);
      } else if (relative !== coverageReport) {
        found.push(relative);
      }
    }
  };
  await walk('');
  if (found.length >= MAX_LISTED_FILES) found.push(`(list cut at ${MAX_LISTED_FILES} files)`);
  return found;
}

/** A model sometimes wraps a file in a Markdown fence despite being told not to; the file ends with a newline. */
function normalizeContent(content: string): string {
  const fenced = /^```[\w-]*\r?\n([\s\S]*?)\r?\n```\s*$/.exec(content.trim());
  return ensureNewline(fenced ? fenced[1]! : content);
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function numbered(text: string): string {
  const lines = text.split('\n');
  const width = String(lines.length).length;
  return lines.map((line, i) => `${String(i + 1).padStart(width)}| ${line}`).join('\n');
}

function ranges(lines: number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i]!;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i]!;
    out.push(start === end ? `${start}` : `${start}-${end}`);
  }
  return out.join(', ');
}

/** Keeps the head and the tail of long text (errors tend to be at one end or the other). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n[... ${text.length - 2 * half} characters cut ...]\n${text.slice(-half)}`;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the test agent was cancelled');
}

function throwIfCancelled(input: TestInput, run: TestRun): void {
  if (run.result.cancelled || input.signal.aborted) throw abortError(input.signal);
}

/** Replaces the scratch workdir's absolute path with `<repo>` in output shown to the model or logged. */
async function scrubberFor(workdir: string): Promise<(text: string) => string> {
  const roots = [...new Set([path.resolve(workdir), await realpath(workdir).catch(() => path.resolve(workdir))])];
  return (text) => roots.reduce((acc, root) => acc.split(root).join('<repo>'), text);
}

/** The concatenated output of every run, each section clipped, the whole bounded. */
class RunLog {
  private readonly sections: string[] = [];
  private size = 0;

  constructor(readonly scrub: (text: string) => string) {}

  add(title: string, run: TestRun): void {
    const status = run.passed ? 'passed' : run.result.timedOut ? 'timed out' : `exit code ${run.result.exitCode}`;
    this.note(`${title} (${status}, ${run.result.durationMs} ms)`, clip(this.scrub(run.result.output), LOG_SECTION_CHARS));
  }

  note(title: string, body: string): void {
    if (this.size > LOG_TOTAL_CHARS) return;
    const section = `== ${title}\n${body.endsWith('\n') ? body : `${body}\n`}`;
    this.size += section.length;
    this.sections.push(this.size > LOG_TOTAL_CHARS ? '== [log cut: later sections omitted]\n' : section);
  }

  text(): string {
    return this.sections.join('\n');
  }
}

