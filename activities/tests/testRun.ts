import { CancelledFailure } from '@temporalio/activity';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type CommandResult } from '../process/runCommand.js';
import { diffCoverage, overallCoverage, parseLcov, type LineCoverage } from './lcov.js';
import type { TestInput } from './agent.js';
import { testReportSchema, type CoverageRatio, type TestReport } from './schema.js';

/** Line coverage read from the configured lcov report after a run. */
export interface MeasuredCoverage {
  lines: LineCoverage;
  overall: CoverageRatio;
  diff: CoverageRatio;
}

export interface TestRun {
  result: CommandResult;
  passed: boolean;
  /** Only for a passing run with a coverage report configured and written. */
  coverage: MeasuredCoverage | null;
}

export interface RunOptions {
  /** Remove the coverage report first, so a report left by an earlier run is never read as this run's. */
  clearCoverage?: boolean;
}

/** Runs the configured test command once in the workdir (heartbeating while it runs) and, if it passed, reads the lcov report. */
export async function runTestCommand(input: TestInput, command: string[], options: RunOptions = {}): Promise<TestRun> {
  const { coverageReport, timeoutSeconds } = input.tests;
  if (options.clearCoverage && coverageReport) await rm(path.join(input.workdir, coverageReport), { force: true });
  const result = await runCommand(command, {
    cwd: input.workdir,
    timeoutMs: timeoutSeconds * 1000,
    env: commandEnv(),
    signal: input.signal,
    onTick: input.heartbeat,
    tickMs: 2_000,
  });
  // A cancelled run (worker shutdown, a new revision) is not a test failure: let the activity be cancelled.
  if (result.cancelled) {
    const reason: unknown = input.signal.reason;
    throw reason instanceof Error ? reason : new CancelledFailure('the test run was cancelled');
  }
  const passed = result.exitCode === 0 && !result.timedOut;
  const coverage = passed && coverageReport ? await readCoverage(input, coverageReport) : null;
  return { result, passed, coverage };
}

/**
 * The repository's tests never inherit `NODE_TEST_CONTEXT`: `node --test` sets it in its children, and
 * a repository's own `node --test` run under it reports to a parent that is not there and exits 0 even
 * when its tests fail (this happens whenever prpilot itself runs under the Node test runner).
 */
function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

async function readCoverage(input: TestInput, reportPath: string): Promise<MeasuredCoverage | null> {
  const text = await readFile(path.join(input.workdir, reportPath), 'utf8').catch(() => null);
  if (text === null) return null;
  const lines = parseLcov(text, input.workdir);
  return { lines, overall: overallCoverage(lines), diff: diffCoverage(lines, input.files) };
}

/** The report of one run of the configured command, as the offline agent gives it. */
export function reportOfRun(command: string[], run: TestRun, timeoutSeconds: number, extra: Partial<TestReport> = {}): TestReport {
  return testReportSchema.parse({
    ran: true,
    passed: run.passed,
    exitCode: run.result.exitCode,
    timedOut: run.result.timedOut,
    durationMs: run.result.durationMs,
    logSha256: null,
    coverage: run.coverage?.overall ?? null,
    diffCoverage: run.coverage?.diff ?? null,
    summary: summarizeRun(command, run.result.exitCode, run.result.timedOut, timeoutSeconds, run.coverage?.overall.percent),
    ...extra,
  });
}

export function notRunReport(): TestReport {
  return testReportSchema.parse({
    ran: false, passed: true, exitCode: null, timedOut: false, durationMs: 0, logSha256: null,
    coverage: null, diffCoverage: null,
    summary: 'no test command configured (tests.command): nothing was run',
  });
}

export function summarizeRun(command: string[], exitCode: number | null, timedOut: boolean, timeoutSeconds: number, percent?: number): string {
  const ran = `\`${command.join(' ')}\``;
  if (timedOut) return `${ran} did not finish within ${timeoutSeconds}s`;
  if (exitCode !== 0) return `${ran} failed with exit code ${exitCode}`;
  return percent === undefined ? `${ran} passed (no coverage report)` : `${ran} passed, line coverage ${percent}%`;
}
