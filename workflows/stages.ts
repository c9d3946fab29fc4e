/**
 * The agent stages before the deploy decision. An agent that fails after Temporal's retries does not
 * stop the pipeline: its failure becomes the `agent_failed` gate, so a human decides (fail closed).
 */
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { PreparedChange } from '../activities/change/activity.js';
import type { ReviewOutput } from '../activities/review/schema.js';
import type { TestReport } from '../activities/tests/schema.js';
import type { StagingReport } from '../activities/staging/schema.js';
import type { ValidationReport } from '../activities/validation/schema.js';
import type { DeploymentRisk } from '../activities/deployment/schema.js';
import type { DecisionDraft } from './records.js';
import type { PipelineRun } from './run.js';
import { errorMessage } from './canary.js';

export interface AgentFailure {
  agent: string;
  error: string;
}

/** Runs one agent activity; on failure records it and returns null instead of throwing. */
async function tryAgent<T extends { decision: DecisionDraft }>(
  run: PipelineRun, failures: AgentFailure[], agent: string, call: () => Promise<T>,
): Promise<T | null> {
  try {
    const result = await call();
    await run.record({ draft: result.decision });
    return result;
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const message = errorMessage(error);
    failures.push({ agent, error: message });
    await run.record({
      policy: { stage: run.status.stage, decision: `${agent} agent failed`, rationale: message, gates: ['agent_failed'], details: { agent }, input: { agent, message } },
    });
    return null;
  }
}

export async function reviewStage(run: PipelineRun, failures: AgentFailure[]): Promise<{ change: PreparedChange; review: ReviewOutput | null }> {
  run.setStage('review', `reviewing ${run.headSha.slice(0, 12)}`);
  const change = await run.acts.prepareChange({ repo: run.input.repo, baseSha: run.input.baseSha, headSha: run.headSha });
  const reviewed = await tryAgent(run, failures, 'review', () => run.acts.reviewChange({
    diffSha256: change.diffSha256, title: run.input.title, description: run.input.description,
  }));
  return { change, review: reviewed?.review ?? null };
}

export async function testsStage(run: PipelineRun, failures: AgentFailure[], change: PreparedChange, review: ReviewOutput | null): Promise<TestReport | null> {
  run.setStage('tests', 'running tests');
  const result = await tryAgent(run, failures, 'tests', () => run.acts.runTests({
    repo: run.input.repo, headSha: run.headSha, diffSha256: change.diffSha256, tests: run.input.config.tests,
    coverageGaps: review?.coverageGaps ?? [],
  }));
  return result?.report ?? null;
}

export async function stagingStage(run: PipelineRun, failures: AgentFailure[]): Promise<StagingReport | null> {
  const { service, staging } = run.input.config;
  run.setStage('staging', `staging: smoke tests, then ${staging.perfWindowSeconds}s of load`);
  const result = await tryAgent(run, failures, 'staging', () => run.acts.deployStaging({
    deploymentId: `${run.workflowId}-r${run.attempt}-staging`, repo: run.input.repo, baseSha: run.input.baseSha,
    headSha: run.headSha, config: { service, staging },
  }));
  return result?.report ?? null;
}

export async function validationStage(run: PipelineRun, failures: AgentFailure[], staging: StagingReport | null): Promise<ValidationReport | null> {
  run.setStage('validation', 'validating staging measurements');
  if (!staging) return null;
  const { staging: stagingConfig, canary } = run.input.config;
  const result = await tryAgent(run, failures, 'validation', () => run.acts.validateStaging({
    staging, config: { staging: stagingConfig, canary },
  }));
  return result?.report ?? null;
}

export async function deploymentRiskStage(
  run: PipelineRun, failures: AgentFailure[],
  evidence: { review: ReviewOutput | null; tests: TestReport | null; validation: ValidationReport | null; change: PreparedChange },
): Promise<DeploymentRisk | null> {
  const result = await tryAgent(run, failures, 'deployment', () => run.acts.assessDeploymentRisk({
    review: evidence.review, tests: evidence.tests, validation: evidence.validation, gates: run.status.gates,
    changedLines: evidence.change.stats.additions + evidence.change.stats.deletions,
  }));
  return result?.risk ?? null;
}
