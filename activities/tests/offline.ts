import { offlineIdentity } from '../agent.js';
import { NO_TOKENS } from '../../workflows/records.js';
import type { TestAgent, TestInput } from './agent.js';
import { notRunReport, reportOfRun, runTestCommand } from './testRun.js';

const VERSION = 'offline-tests/1.0.0';

/** Runs the repo's configured test command on the head and reads its lcov report. Generates no tests. */
export function createOfflineTestAgent(): TestAgent {
  const identity = offlineIdentity('tests', VERSION, { runs: 'configured command', coverage: 'lcov' });
  return {
    async run(input: TestInput) {
      const { command, timeoutSeconds } = input.tests;
      if (!command) return { output: notRunReport(), identity, tokens: { ...NO_TOKENS }, log: '' };
      const run = await runTestCommand(input, command);
      return { output: reportOfRun(command, run, timeoutSeconds), identity, tokens: { ...NO_TOKENS }, log: run.result.output };
    },
  };
}
