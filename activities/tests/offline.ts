import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { offlineIdentity } from '../agent.js';
import { runCommand } from '../process/runCommand.js';
import { NO_TOKENS } from '../../workflows/records.js';
import { diffCoverage, overallCoverage, parseLcov } from './lcov.js';
import type { TestAgent, TestInput } from './agent.js';
import { testReportSchema, type TestReport } from './schema.js';

const VERSION = 'offline-tests/1.0.0';

/** Runs the repo's configured test command on the head and reads its lcov report. Generates no tests. */
export function createOfflineTestAgent(): TestAgent {
  const identity = offlineIdentity('tests', VERSION, { runs: 'configured command', coverage: 'lcov' });
  return {
    async run(input: TestInput) {
      const { command, coverageReport, timeoutSeconds } = input.tests;
      if (!command) {
        const report = testReportSchema.parse({
          ran: false, passed: true, exitCode: null, timedOut: false, durationMs: 0, logSha256: null,
          coverage: null, diffCoverage: null,
          summary: 'no test command configured (tests.command): nothing was run',
        });
        return { output: report, identity, tokens: { ...NO_TOKENS }, log: '' };
      }
      const result = await runCommand(command, {
        cwd: input.workdir,
        timeoutMs: timeoutSeconds * 1000,
        env: { ...process.env, CI: 'true' },
        signal: input.signal,
        onTick: input.heartbeat,
        tickMs: 2_000,
      });
      const passed = result.exitCode === 0 && !result.timedOut && !result.cancelled;
      const coverage = passed && coverageReport ? await readCoverage(input, coverageReport) : null;
      const report: TestReport = testReportSchema.parse({
        ran: true,
        passed,
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        logSha256: null,
        coverage: coverage?.overall ?? null,
        diffCoverage: coverage?.diff ?? null,
        summary: summarize(command, result.exitCode, result.timedOut, timeoutSeconds, coverage?.overall.percent),
      });
      return { output: report, identity, tokens: { ...NO_TOKENS }, log: result.output };
    },
  };
}

async function readCoverage(input: TestInput, reportPath: string) {
  const text = await readFile(path.join(input.workdir, reportPath), 'utf8').catch(() => null);
  if (text === null) return null;
  const lines = parseLcov(text, input.workdir);
  return { overall: overallCoverage(lines), diff: diffCoverage(lines, input.files) };
}

function summarize(command: string[], exitCode: number | null, timedOut: boolean, timeoutSeconds: number, percent?: number): string {
  const ran = `\`${command.join(' ')}\``;
  if (timedOut) return `${ran} did not finish within ${timeoutSeconds}s`;
  if (exitCode !== 0) return `${ran} failed with exit code ${exitCode}`;
  return percent === undefined ? `${ran} passed (no coverage report)` : `${ran} passed, line coverage ${percent}%`;
}
