import { parseUnifiedDiff, type DiffFile } from '../../workflows/policy/diff.js';
import { detectChange, type ChangeFindings } from '../../workflows/policy/detectors/index.js';
import { assessRisk } from '../../workflows/policy/riskHeuristic.js';
import type { RiskAssessment } from '../review/agent.js';
import { revealMovedLinks, type LinkLookup } from './movedLinks.js';

export interface ChangeAnalysis {
  files: DiffFile[];
  stats: ChangeStats;
  findings: ChangeFindings;
  heuristic: RiskAssessment;
}

export interface ChangeStats {
  files: number;
  binaryFiles: number;
  additions: number;
  deletions: number;
  bytes: number;
}

/** The code's own view of a change: parse, detectors, risk heuristic. Pure apart from its input. */
export function analyzeDiff(diff: string): ChangeAnalysis {
  return analyzeFiles(parseUnifiedDiff(diff), diff);
}

/**
 * The same for a change whose head commit can be read: files it moves without a change are looked up
 * there, so a moved symbolic link is checked like an added one (movedLinks.ts).
 */
export async function analyzeChange(diff: string, lookUpLinks: LinkLookup): Promise<ChangeAnalysis> {
  return analyzeFiles(await revealMovedLinks(parseUnifiedDiff(diff), lookUpLinks), diff);
}

function analyzeFiles(files: DiffFile[], diff: string): ChangeAnalysis {
  const findings = detectChange(files);
  return {
    files,
    stats: {
      files: files.length,
      binaryFiles: files.filter((file) => file.binary).length,
      additions: files.reduce((sum, file) => sum + file.added.length, 0),
      deletions: files.reduce((sum, file) => sum + file.removed.length, 0),
      bytes: Buffer.byteLength(diff),
    },
    findings,
    heuristic: assessRisk(files, findings),
  };
}
