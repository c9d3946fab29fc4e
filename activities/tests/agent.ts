import type { DiffFile } from '../../workflows/policy/diff.js';
import type { PrpilotConfig } from '../../config/schema.js';
import type { AgentRun } from '../agent.js';
import type { TestReport } from './schema.js';

export interface TestInput {
  /** The head's source, exported into a scratch folder the agent may write in. */
  workdir: string;
  files: DiffFile[];
  tests: PrpilotConfig['tests'];
  coverageGaps: { file: string; description: string }[];
  heartbeat: () => void;
  signal: AbortSignal;
}

/** Output plus the full log and the kept generated tests as a patch, which the activity stores as artifacts. */
export interface TestAgent {
  run(input: TestInput): Promise<AgentRun<TestReport> & { log: string; patch?: string }>;
}
