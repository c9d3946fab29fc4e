/**
 * What a canary benchmark hands back: a human table on stdout, and one result object written to
 * bench/results/<name>.json and printed as stdout's last line (the shape every bench shares).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  name: string;
  /** what we measured */
  figures: Record<string, number>;
  /** what we compare with, measured in the same run */
  baseline: Record<string, number>;
  ratio: number;
  target: string;
  met: boolean;
  notes: string;
}

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

export function writeResult(result: BenchResult): void {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${result.name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten to ${path}`);
  console.log(JSON.stringify(result));
}

/** Median (Infinity counts as larger than everything: a judge that never decided); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

export function printTable(header: string[], rows: (string | number)[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** Seconds with one decimal (or as many as asked), or a dash for none. */
export const fmtSeconds = (seconds: number | null, decimals = 1): string => (seconds === null || !Number.isFinite(seconds) ? '—' : seconds.toFixed(decimals));

/** Rounds for JSON figures (no long float tails). */
export const round = (value: number, decimals = 2): number => Math.round(value * 10 ** decimals) / 10 ** decimals;
