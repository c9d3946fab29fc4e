import type { IntervalVerdict } from '../../workflows/canaryVerdicts.js';
import type { AgentRun } from '../agent.js';
import type { ReviewOutput } from '../review/schema.js';
import type { TestReport } from '../tests/schema.js';
import type { ValidationReport } from '../validation/schema.js';
import type { DeploymentRisk, IncidentReport } from './schema.js';
import type { Gate } from '../../workflows/messages.js';
import type { TrafficSummary } from '../staging/schema.js';

export interface DeploymentRiskInput {
  review: ReviewOutput | null;
  tests: TestReport | null;
  validation: ValidationReport | null;
  gates: Gate[];
  changedLines: number;
}

export interface IncidentInput {
  workflowId: string;
  service: string;
  title: string;
  headSha: string;
  reasons: string[];
  canary: TrafficSummary;
  stable: TrafficSummary;
  timeline: { at: string; event: string }[];
  /**
   * The judge's verdicts over the failing step (runs from before the statistical judge have none). With
   * verdictLogSha256 (canary v3) `intervals` holds only the last few; the activity reads the rest from the log.
   */
  judge?: { step: number; percent: number; source: 'proxy' | 'prometheus'; intervals: IntervalVerdict[]; verdictLogSha256?: string };
  auditCommand: string;
}

export interface DeploymentAgent {
  assessRisk(input: DeploymentRiskInput): Promise<AgentRun<DeploymentRisk>>;
  writeIncidentReport(input: IncidentInput): Promise<AgentRun<IncidentReport>>;
}
