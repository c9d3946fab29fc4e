import path from 'node:path';
import type { DiffFile } from '../../workflows/policy/diff.js';
import type { CoverageRatio } from './schema.js';

/** Line hits per source file (repo-relative path → line → hits) from an lcov tracefile. */
export type LineCoverage = Map<string, Map<number, number>>;

export function parseLcov(text: string, repoRoot: string): LineCoverage {
  const files: LineCoverage = new Map();
  let current: Map<number, number> | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('SF:')) {
      const source = line.slice(3);
      const relative = path.isAbsolute(source) ? path.relative(repoRoot, source) : path.normalize(source);
      const key = relative.split(path.sep).join('/');
      current = files.get(key) ?? new Map();
      files.set(key, current);
    } else if (line.startsWith('DA:') && current) {
      const [lineNumber, hits] = line.slice(3).split(',').map(Number);
      if (Number.isInteger(lineNumber) && Number.isFinite(hits)) {
        current.set(lineNumber!, Math.max(current.get(lineNumber!) ?? 0, hits!));
      }
    } else if (line === 'end_of_record') {
      current = null;
    }
  }
  return files;
}

function ratio(total: number, covered: number): CoverageRatio {
  return { total, covered, percent: total === 0 ? 100 : Math.round((covered / total) * 1000) / 10 };
}

export function overallCoverage(coverage: LineCoverage): CoverageRatio {
  let total = 0;
  let covered = 0;
  for (const lines of coverage.values()) {
    for (const hits of lines.values()) {
      total += 1;
      if (hits > 0) covered += 1;
    }
  }
  return ratio(total, covered);
}

/** Of the lines the PR adds that the report instruments, how many ran. Lines it does not instrument do not count. */
export function diffCoverage(coverage: LineCoverage, files: DiffFile[]): CoverageRatio {
  let total = 0;
  let covered = 0;
  for (const file of files) {
    const lines = coverage.get(file.path);
    if (!lines) continue;
    for (const added of file.added) {
      const hits = lines.get(added.line);
      if (hits === undefined) continue;
      total += 1;
      if (hits > 0) covered += 1;
    }
  }
  return ratio(total, covered);
}
