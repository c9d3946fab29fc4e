import type { DiffFile } from '../../workflows/policy/diff.js';
import type { ChangeFindings } from '../../workflows/policy/detectors/index.js';
import type { AgentRun } from '../agent.js';
import type { ReviewOutput } from './schema.js';

export interface RiskAssessment {
  score: number;
  factors: { name: string; points: number; why: string }[];
}

/** The review agent sees the diff plus what the code already found; the title and description are untrusted. */
export interface ReviewInput {
  diff: string;
  files: DiffFile[];
  title: string;
  description: string;
  findings: ChangeFindings;
  heuristic: RiskAssessment;
}

export interface ReviewAgent {
  review(input: ReviewInput): Promise<AgentRun<ReviewOutput>>;
}
