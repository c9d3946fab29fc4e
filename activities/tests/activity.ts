import { Context } from '@temporalio/activity';
import type { PrpilotConfig } from '../../config/schema.js';
import type { RepoRef } from '../../workflows/input.js';
import type { DecisionDraft } from '../../workflows/records.js';
import type { ActivityDeps } from '../deps.js';
import { draftFrom } from '../agent.js';
import { parseUnifiedDiff } from '../../workflows/policy/diff.js';
import { checkout } from '../scratch.js';
import { testReportSchema, type TestReport } from './schema.js';

export interface TestsInput {
  repo: RepoRef;
  headSha: string;
  diffSha256: string;
  tests: PrpilotConfig['tests'];
  coverageGaps: { file: string; description: string }[];
}

/** Runs the test agent on a private copy of the head; the log goes to the artifact store. */
export function runTestsActivity(deps: ActivityDeps) {
  return async function runTests(input: TestsInput): Promise<{ report: TestReport; decision: DecisionDraft }> {
    const context = Context.current();
    const files = parseUnifiedDiff(await deps.artifacts.getText(input.diffSha256));
    const workdir = await checkout(deps.paths.scratch, input.repo, input.headSha, 'tests');
    try {
      const run = await deps.agents.tests.run({
        workdir: workdir.dir,
        files,
        tests: input.tests,
        coverageGaps: input.coverageGaps,
        heartbeat: () => context.heartbeat(),
        signal: context.cancellationSignal,
      });
      const log = run.log ? await deps.artifacts.put(run.log) : null;
      const patch = run.patch ? await deps.artifacts.put(run.patch) : null;
      const report = testReportSchema.parse({ ...run.output, logSha256: log?.sha256 ?? null, patchSha256: patch?.sha256 ?? null });
      return {
        report,
        decision: draftFrom(run, {
          stage: 'tests',
          decision: report.passed ? 'tests passed' : 'tests failed',
          rationale: report.summary,
          input: { headSha: input.headSha, tests: input.tests },
          details: {
            exitCode: report.exitCode, coverage: report.coverage, diffCoverage: report.diffCoverage, logSha256: report.logSha256,
            generatedTests: report.generatedTests, patchSha256: report.patchSha256,
          },
        }),
      };
    } finally {
      await workdir.remove();
    }
  };
}
