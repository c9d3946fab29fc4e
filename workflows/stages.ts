/**
 * The agent stages before the deploy decision. An agent that fails after Temporal's retries does not
 * stop the pipeline: its failure becomes the `agent_failed` gate, so a human decides (fail closed).
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { AGENT_OUTPUT_INVALID } from './failureTypes.js';
import type { PreparedChange } from '../activities/change/activity.js';
import type { ReviewOutput } from '../activities/review/schema.js';
import type { TestReport } from '../activities/tests/schema.js';
import type { StagingReport } from '../activities/staging/schema.js';
import type { ValidationReport } from '../activities/validation/schema.js';
import type { DeploymentRisk } from '../activities/deployment/schema.js';
import type { DecisionDraft } from './records.js';
import type { PipelineRun } from './run.js';
import { errorMessage } from './errors.js';

export interface AgentFailure {
  agent: string;
  error: string;
}

/** What went wrong with agents in this attempt: failures (`agent_failed`) and invalid output (`agent_uncertain`). */
export interface AgentTrouble {
  failures: AgentFailure[];
  uncertain: { agent: string; why: string }[];
}

/** Runs one agent activity; on failure records it and returns null instead of throwing. */
async function tryAgent<T extends { decision: DecisionDraft }>(
  run: PipelineRun, trouble: AgentTrouble, agent: string, call: () => Promise<T>,
): Promise<T | null> {
  try {
    const result = await call();
    await run.record({ draft: result.decision });
    return result;
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const message = errorMessage(error);
    const invalidOutput = error.cause instanceof ApplicationFailure && error.cause.type === AGENT_OUTPUT_INVALID;
    if (invalidOutput) trouble.uncertain.push({ agent, why: message });
    else trouble.failures.push({ agent, error: message });
    const gate = invalidOutput ? 'agent_uncertain' : 'agent_failed';
    await run.record({
      policy: {
        stage: run.status.stage, decision: invalidOutput ? `${agent} agent output invalid` : `${agent} agent failed`,
        rationale: message, gates: [gate], details: { agent }, input: { agent, message },
      },
    });
    return null;
  }
}

export async function reviewStage(run: PipelineRun, trouble: AgentTrouble): Promise<{ change: PreparedChange; review: ReviewOutput | null }> {
  run.setStage('review', `reviewing ${run.headSha.slice(0, 12)}`);
  const change = await run.acts.prepareChange({ repo: run.input.repo, baseSha: run.input.baseSha, headSha: run.headSha });
  const reviewed = await tryAgent(run, trouble, 'review', () => run.acts.reviewChange({
    diffSha256: change.diffSha256, title: run.input.title, description: run.input.description,
  }));
  return { change, review: reviewed?.review ?? null };
}

export async function testsStage(run: PipelineRun, trouble: AgentTrouble, change: PreparedChange, review: ReviewOutput | null): Promise<TestReport | null> {
  run.setStage('tests', 'running tests');
  const result = await tryAgent(run, trouble, 'tests', () => run.acts.runTests({
    repo: run.input.repo, headSha: run.headSha, diffSha256: change.diffSha256, tests: run.input.config.tests,
    coverageGaps: review?.coverageGaps ?? [],
  }));
  return result?.report ?? null;
}

export async function stagingStage(run: PipelineRun, trouble: AgentTrouble): Promise<StagingReport | null> {
  const { service, staging } = run.input.config;
  run.setStage('staging', `staging: smoke tests, then ${staging.perfWindowSeconds}s of load`);
  const result = await tryAgent(run, trouble, 'staging', () => run.acts.deployStaging({
    deploymentId: `${run.workflowId}-r${run.attempt}-staging`, repo: run.input.repo, baseSha: run.input.baseSha,
    headSha: run.headSha, config: { service, staging },
  }));
  return result?.report ?? null;
}

export async function validationStage(run: PipelineRun, trouble: AgentTrouble, staging: StagingReport | null): Promise<ValidationReport | null> {
  run.setStage('validation', 'validating staging measurements');
  if (!staging) return null;
  const { staging: stagingConfig, canary } = run.input.config;
  const result = await tryAgent(run, trouble, 'validation', () => run.acts.validateStaging({
    staging, config: { staging: stagingConfig, canary },
  }));
  return result?.report ?? null;
}

export async function deploymentRiskStage(
  run: PipelineRun, trouble: AgentTrouble,
  evidence: { review: ReviewOutput | null; tests: TestReport | null; validation: ValidationReport | null; change: PreparedChange },
): Promise<DeploymentRisk | null> {
  const result = await tryAgent(run, trouble, 'deployment', () => run.acts.assessDeploymentRisk({
    review: evidence.review, tests: evidence.tests, validation: evidence.validation, gates: run.status.gates,
    changedLines: evidence.change.stats.additions + evidence.change.stats.deletions,
  }));
  return result?.risk ?? null;
}
