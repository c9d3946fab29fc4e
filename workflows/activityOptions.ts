/**
 * Timeouts and retries per kind of work: an agent call, a test run, a deploy step and a bookkeeping
 * step fail differently. Temporal owns every retry; nothing below retries on its own.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { canarySteps, type PrpilotConfig } from '../config/schema.js';

const seconds = (n: number) => `${Math.ceil(n)} seconds`;

export function activitiesFor(config: PrpilotConfig) {
  const quickRetry = { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 };
  const quick = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: quickRetry });
  // Fetching and diffing the sources can take a while (a GitHub tarball, a 50 MB diff), and so can
  // notifying (Slack, a webhook): both heartbeat, so a worker that dies mid-way is replaced in seconds
  // rather than at the time limit.
  const quickHeartbeating = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds', retry: quickRetry });
  // A chunked review makes a few sequential model calls, each possibly with a repair pass. The agents
  // heartbeat while they wait on the model: a worker that dies mid-call is replaced in seconds.
  const agent = proxyActivities<Activities>({
    startToCloseTimeout: '20 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
  });
  // The Claude test agent may run the suite once, then per gap (up to 5) up to maxAttempts + stableRuns - 1 times.
  const testRuns = 1 + 5 * (config.tests.maxAttempts + config.tests.stableRuns - 1);
  const tests = proxyActivities<Activities>({
    startToCloseTimeout: seconds(config.tests.timeoutSeconds * testRuns + 600),
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '5 seconds', maximumAttempts: 2 },
  });
  const staging = proxyActivities<Activities>({
    startToCloseTimeout: seconds(config.staging.perfWindowSeconds * 2 + config.service.startTimeoutSeconds * 2 + 180),
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
  });
  // The command target's scripts have their own time limit; a step may run that long.
  const deployStepSeconds = Math.max(config.service.startTimeoutSeconds * 2, config.deploy.target === 'command' ? config.deploy.command.timeoutSeconds : 0) + 60;
  const deploy = proxyActivities<Activities>({
    startToCloseTimeout: seconds(deployStepSeconds),
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
  });
  // Rollback and teardown must eventually happen: they keep retrying far longer than anything else.
  // Rollback may have to restart stable (its start timeout) plus the proxy and load generator.
  const mustFinish = proxyActivities<Activities>({
    startToCloseTimeout: seconds(Math.max(120, deployStepSeconds)),
    // Both heartbeat while they work: a worker that dies mid-rollback is replaced in seconds, not at the time limit.
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
  });
  // One step of the ramp (or one hold of a paused canary), judged every interval. A crashed worker's
  // watch resumes elsewhere from its last heartbeat; metrics that stay unreadable end in a rollback.
  const longestStep = Math.max(...canarySteps(config.canary).map((step) => step.durationSeconds));
  const watch = proxyActivities<Activities>({
    startToCloseTimeout: seconds(longestStep + config.canary.intervalSeconds * 2 + 120),
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
  });
  // Reporting to GitHub is best effort: retried briefly (rate limits wait for GitHub's reset), never for long.
  const report = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '5 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
  });
  const local = proxyLocalActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumAttempts: 5 },
  });
  return {
    prepareChange: quickHeartbeating.prepareChange,
    reviewChange: agent.reviewChange,
    runTests: tests.runTests,
    deployStaging: staging.deployStaging,
    validateStaging: agent.validateStaging,
    assessDeploymentRisk: agent.assessDeploymentRisk,
    writeIncidentReport: agent.writeIncidentReport,
    startCanary: deploy.startCanary,
    canaryStats: quick.canaryStats,
    setCanaryWeight: deploy.setCanaryWeight,
    watchCanary: watch.watchCanary,
    promoteCanary: deploy.promoteCanary,
    rollbackCanary: mustFinish.rollbackCanary,
    stopDeployment: mustFinish.stopDeployment,
    notify: quickHeartbeating.notify,
    publishToGitHub: report.publishToGitHub,
    recordDecision: local.recordDecision,
    recordDecisions: local.recordDecisions,
  };
}
export type PipelineActivities = ReturnType<typeof activitiesFor>;
