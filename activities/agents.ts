import type { Agents } from './deps.js';
import { createOfflineReviewAgent } from './review/offline.js';
import { createOfflineTestAgent } from './tests/offline.js';
import { createOfflineValidationAgent } from './validation/offline.js';
import { createOfflineDeploymentAgent } from './deployment/offline.js';

export function createOfflineAgents(): Agents {
  return {
    review: createOfflineReviewAgent(),
    tests: createOfflineTestAgent(),
    validation: createOfflineValidationAgent(),
    deployment: createOfflineDeploymentAgent(),
  };
}
