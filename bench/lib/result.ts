/**
 * What every benchmark hands back: a table on stdout, and one result written to
 * bench/results/<name>.json (the shape bench/run-all.ts collects, shared with the canary benches).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const benchResultSchema = z.object({
  name: z.string().min(1),
  /** what we measured */
  figures: z.record(z.string(), z.number()),
  /** what we compare with, measured in the same run */
  baseline: z.record(z.string(), z.number()),
  ratio: z.number(),
  target: z.string(),
  met: z.boolean(),
  notes: z.string(),
  /** when writeResult wrote it (older results lack it) */
  measuredAt: z.string().optional(),
});
export type BenchResult = z.infer<typeof benchResultSchema>;

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function writeResult(result: BenchResult): string {
  const checked = benchResultSchema.parse({ ...result, measuredAt: new Date().toISOString() });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${checked.name}.json`);
  writeFileSync(file, `${JSON.stringify(checked, null, 2)}\n`);
  console.log(`\n${checked.name}: target ${checked.met ? 'met' : 'MISSED'} (${checked.target}); written to ${file}`);
  return file;
}

/** Median of the finite values; NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds for JSON figures (no long float tails). */
export const round = (value: number, decimals = 2): number => Math.round(value * 10 ** decimals) / 10 ** decimals;

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((cell) => String(cell).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function printTable(header: string[], rows: (string | number)[][]): void {
  console.log(markdownTable(header, rows));
}
