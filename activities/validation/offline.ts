import { offlineIdentity } from '../agent.js';
import { checkStaging } from '../../workflows/policy/stagingChecks.js';
import { NO_TOKENS } from '../../workflows/records.js';
import type { ValidationAgent } from './agent.js';
import { validationReportSchema } from './schema.js';

const VERSION = 'offline-validation/1.0.0';

/** The measured checks alone; an LLM agent adds analysis on top but can never pass a failed check. */
export function createOfflineValidationAgent(): ValidationAgent {
  const identity = offlineIdentity('validation', VERSION, { checks: 'workflows/policy/stagingChecks.ts' });
  return {
    async validate({ staging, config }) {
      const output = validationReportSchema.parse(checkStaging(staging, config.staging, config.canary));
      return { output, identity, tokens: { ...NO_TOKENS } };
    },
  };
}
