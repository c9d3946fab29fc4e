import type { ActivityDeps } from './deps.js';
import { prepareChangeActivity } from './change/activity.js';
import { reviewChangeActivity } from './review/activity.js';
import { runTestsActivity } from './tests/activity.js';
import { deployStagingActivity } from './staging/activity.js';
import { validateStagingActivity } from './validation/activity.js';
import { assessDeploymentRiskActivity, writeIncidentReportActivity } from './deployment/activity.js';
import { canaryActivities } from './deployment/canary.js';
import { recordDecisionActivity, recordDecisionsActivity } from './audit/recordDecision.js';
import { watchCanaryActivity } from './deployment/watch.js';
import { notifyActivity } from './notify/activity.js';
import { githubActivities } from './github/index.js';
import { heartbeating } from './heartbeat.js';

/** Every activity the workflow calls, built from injected dependencies (see activities/deps.ts). */
export function createActivities(deps: ActivityDeps) {
  return {
    prepareChange: heartbeating(prepareChangeActivity(deps)),
    // The agents wait on a model for minutes: they heartbeat meanwhile (the test agent does its own).
    reviewChange: heartbeating(reviewChangeActivity(deps)),
    runTests: runTestsActivity(deps),
    deployStaging: deployStagingActivity(deps),
    validateStaging: heartbeating(validateStagingActivity(deps)),
    assessDeploymentRisk: heartbeating(assessDeploymentRiskActivity(deps)),
    writeIncidentReport: heartbeating(writeIncidentReportActivity(deps)),
    ...canaryActivities(deps),
    watchCanary: watchCanaryActivity(deps),
    recordDecision: recordDecisionActivity(deps),
    recordDecisions: recordDecisionsActivity(deps),
    notify: notifyActivity(deps),
    ...githubActivities({ github: deps.github, workflowUrl: deps.workflowUrl }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
