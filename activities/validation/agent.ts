import type { PrpilotConfig } from '../../config/schema.js';
import type { AgentRun } from '../agent.js';
import type { StagingReport } from '../staging/schema.js';
import type { ValidationReport } from './schema.js';

export interface ValidationInput {
  staging: StagingReport;
  config: Pick<PrpilotConfig, 'staging' | 'canary'>;
}

export interface ValidationAgent {
  validate(input: ValidationInput): Promise<AgentRun<ValidationReport>>;
}
