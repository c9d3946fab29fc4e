/**
 * Which parts of a diff the review model sees, and in how many calls. Pure and deterministic: the same
 * files and findings always give the same chunks.
 *
 * 1. Files the model should not spend tokens on are summarised in one line each and never sent:
 *    lock files, vendored third-party code, generated files (by path, or by a "generated" / "DO NOT EDIT"
 *    marker in their first lines) and binary files. The path rules are the detectors' own (`paths.ts`).
 *    The marker is text the author controls, so it never hides a file that has detector findings or
 *    sits on a sensitive path.
 * 2. The rest is ordered by review priority: files with detector findings, then sensitive paths (auth,
 *    payments, security, migrations and schemas, config, infra and CI, dependency manifests), then source,
 *    then other files, then tests, then docs and examples; diff order within a class.
 * 3. Files are packed first-fit into chunks of at most `chunkTokens` of diff text. A file larger than a
 *    chunk is cut to its first lines with a `[truncated: K more lines]` marker. Every chunk also costs
 *    `overheadTokens` (system prompt, PR context, output schema: the caller knows how much); chunks are
 *    opened until `totalTokens` is used. Files that fit nowhere are `omitted`: not reviewed by the model.
 *
 * Tokens are estimated, not counted (counting needs an API call per chunk): see `estimateTokens`.
 */
import type { DiffFile, DiffLine } from '../../workflows/policy/diff.js';
import type { ChangeFindings } from '../../workflows/policy/detectors/index.js';
import { manifestParser } from '../../workflows/policy/detectors/manifests.js';
import {
  isCiPath, isCode, isDocPath, isExamplePath, isGenerated, isLockfile, isMigrationPath, isSchemaFile, isTestPath, isVendored,
} from '../../workflows/policy/detectors/paths.js';
import { CONFIG_PATH, INFRA_PATH, isSensitive } from '../../workflows/policy/riskHeuristic.js';
import { displayPath } from '../../workflows/policy/displayPath.js';

export const DEFAULT_CHUNK_TOKENS = 24_000;
/** With the per-call overhead included, so a 1 MB diff stays within 100k input tokens with 10% headroom. */
export const DEFAULT_TOTAL_TOKENS = 90_000;
/** A longer line (minified code, data) is cut: one line must not eat a chunk. */
export const MAX_LINE_CHARS = 400;
/** How many of a file's first added lines are searched for a generated-file marker. */
export const MARKER_LINES = 5;

const ASCII_CHARS_PER_TOKEN = 3.5;

/**
 * A conservative token estimate: ceil(ASCII characters / 3.5) plus one token per non-ASCII UTF-16 unit.
 * Claude's tokenizer averages about 3.5–4 characters per token on code and English prose (fewer
 * characters per token only on dense symbols and digits, which the 10% headroom of the default budget
 * absorbs); non-Latin scripts and emoji take about one token per character or more.
 */
export function estimateTokens(text: string): number {
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) nonAscii++;
  return Math.ceil((text.length - nonAscii) / ASCII_CHARS_PER_TOKEN) + nonAscii;
}

export type SkipReason = 'lock file' | 'vendored' | 'generated' | 'binary';
export type Priority = 'findings' | 'sensitive' | 'source' | 'other' | 'tests' | 'docs';
const PRIORITIES: readonly Priority[] = ['findings', 'sensitive', 'source', 'other', 'tests', 'docs'];

export interface SummarisedFile {
  path: string;
  reason: SkipReason;
  added: number;
  removed: number;
  /** `package-lock.json (+1200 -300): lock file, not sent` */
  line: string;
}

export interface ReviewChunk {
  /** Paths in the chunk, in the order they appear in `text`. */
  files: string[];
  /** The files rendered as unified-diff-like text: a header per file, then `+12: text` / `-8: text`. */
  text: string;
  estimatedTokens: number;
}

export interface ReviewPlan {
  chunks: ReviewChunk[];
  summarised: SummarisedFile[];
  /** Not reviewed by the model: no room left in the total budget. In priority order. */
  omitted: string[];
  /** Sent only in part (larger than a chunk), with how many changed lines were left out. */
  truncated: { path: string; moreLines: number }[];
}

export interface PlanOptions {
  /** Most diff text per chunk (tokens). Default 24k. */
  chunkTokens?: number;
  /** Most tokens for all chunks together, each chunk counted with `overheadTokens`. Default 90k. */
  totalTokens?: number;
  /** What each call costs besides its chunk: system prompt, PR context, schema. Default 0. */
  overheadTokens?: number;
}

export function planReview(files: readonly DiffFile[], findings: ChangeFindings, options: PlanOptions = {}): ReviewPlan {
  const chunkTokens = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  const totalTokens = options.totalTokens ?? DEFAULT_TOTAL_TOKENS;
  const overheadTokens = options.overheadTokens ?? 0;
  const withFindings = new Set(Object.values(findings).flat().map((evidence) => evidence.file));

  const summarised: SummarisedFile[] = [];
  const candidates: { file: DiffFile; priority: number; index: number }[] = [];
  files.forEach((file, index) => {
    const reason = skipReason(file, withFindings.has(file.path));
    if (reason) summarised.push(summaryOf(file, reason));
    else candidates.push({ file, priority: PRIORITIES.indexOf(priorityOf(file, withFindings.has(file.path))), index });
  });
  candidates.sort((a, b) => a.priority - b.priority || a.index - b.index);

  interface Open { files: string[]; parts: string[]; tokens: number }
  const open: Open[] = [];
  const omitted: string[] = [];
  const truncated: ReviewPlan['truncated'] = [];
  let used = 0;
  for (const { file } of candidates) {
    const rendered = renderFile(file, chunkTokens);
    // +1: the blank line joining it to the previous file in a chunk.
    const cost = rendered.tokens + 1;
    const fits = open.find((chunk) => chunk.tokens + cost <= chunkTokens && used + cost <= totalTokens);
    let target = fits;
    if (!target && used + overheadTokens + cost <= totalTokens) {
      target = { files: [], parts: [], tokens: 0 };
      open.push(target);
      used += overheadTokens;
    }
    if (!target) {
      omitted.push(file.path);
      continue;
    }
    target.files.push(file.path);
    target.parts.push(rendered.text);
    target.tokens += cost;
    used += cost;
    if (rendered.moreLines > 0) truncated.push({ path: file.path, moreLines: rendered.moreLines });
  }
  const chunks = open.map((chunk) => {
    const text = chunk.parts.join('\n');
    return { files: chunk.files, text, estimatedTokens: estimateTokens(text) };
  });
  return { chunks, summarised, omitted, truncated };
}

const GENERATED_MARKER = /@generated\b|\bDO NOT EDIT\b|\bauto-?generated\b|\bcode generated by\b|\bthis file (is|was) (automatically )?generated\b/i;

function skipReason(file: DiffFile, hasFindings: boolean): SkipReason | null {
  if (isLockfile(file.path)) return 'lock file';
  if (isVendored(file.path)) return 'vendored';
  if (isGenerated(file.path)) return 'generated';
  if (file.binary) return 'binary';
  const protectedFile = hasFindings || isSensitivePath(file.path);
  if (!protectedFile && file.added.slice(0, MARKER_LINES).some((line) => GENERATED_MARKER.test(line.text))) return 'generated';
  return null;
}

function priorityOf(file: DiffFile, hasFindings: boolean): Priority {
  if (hasFindings) return 'findings';
  if (isTestPath(file.path)) return 'tests';
  if (isDocPath(file.path) || isExamplePath(file.path)) return 'docs';
  if (isSensitivePath(file.path)) return 'sensitive';
  if (isCode(file.path)) return 'source';
  return 'other';
}

function isSensitivePath(path: string): boolean {
  return isSensitive(path) || isMigrationPath(path) || isSchemaFile(path) || CONFIG_PATH.test(path)
    || INFRA_PATH.test(path) || isCiPath(path) || manifestParser(path) !== null;
}

function summaryOf(file: DiffFile, reason: SkipReason): SummarisedFile {
  const counts = file.binary ? 'binary' : `+${file.added.length} -${file.removed.length}`;
  return { path: file.path, reason, added: file.added.length, removed: file.removed.length, line: `${displayPath(file.path)} (${counts}): ${reason}, not sent` };
}

/** `### src/a.ts (modified, +3 -1)`, `### src/b.ts (renamed from src/a.ts, +0 -0)`, `### "odd\nname" (added, +1 -0)`. */
function header(file: DiffFile): string {
  const status = file.status === 'renamed' && file.oldPath ? `renamed from ${displayPath(file.oldPath)}`
    : file.status === 'added' && file.oldPath ? `copied from ${displayPath(file.oldPath)}`
      : file.status;
  const link = file.symlink ? ', symlink: the line is its target' : '';
  return `### ${displayPath(file.path)} (${status}${link}, +${file.added.length} -${file.removed.length})`;
}

/**
 * Removed and added lines back in diff order. Old and new line numbers differ by the lines added minus
 * removed so far (`shift`); at the same position a unified diff shows the removed line first.
 */
export function diffOrder(file: Pick<DiffFile, 'added' | 'removed'>): { sign: '+' | '-'; line: DiffLine }[] {
  const out: { sign: '+' | '-'; line: DiffLine }[] = [];
  let i = 0;
  let j = 0;
  let shift = 0;
  while (i < file.removed.length || j < file.added.length) {
    const removed = file.removed[i];
    const added = file.added[j];
    if (removed && (!added || removed.line + shift <= added.line)) {
      out.push({ sign: '-', line: removed });
      shift--;
      i++;
    } else if (added) {
      out.push({ sign: '+', line: added });
      shift++;
      j++;
    }
  }
  return out;
}

function renderLine(sign: '+' | '-', line: DiffLine): string {
  const text = line.text.length > MAX_LINE_CHARS
    ? `${line.text.slice(0, MAX_LINE_CHARS)}…[+${line.text.length - MAX_LINE_CHARS} chars]`
    : line.text;
  return `${sign}${line.line}: ${text}`;
}

/** The file's text, cut so it fits one chunk (`limit` tokens) when it is larger. */
function renderFile(file: DiffFile, limit: number): { text: string; tokens: number; moreLines: number } {
  const lines = [header(file), ...diffOrder(file).map(({ sign, line }) => renderLine(sign, line))];
  const text = lines.join('\n');
  const tokens = estimateTokens(text);
  // -1: the blank line that joins files in a chunk.
  if (tokens <= limit - 1) return { text, tokens, moreLines: 0 };
  const changed = lines.length - 1;
  // Room for the marker with the largest possible count.
  let budget = limit - 1 - estimateTokens(`\n${marker(changed)}`);
  let kept = 0;
  for (const line of lines) {
    const cost = estimateTokens(`${line}\n`);
    if (cost > budget) break;
    budget -= cost;
    kept++;
  }
  const shown = Math.max(kept, 1); // the header always
  const cut = [...lines.slice(0, shown), marker(lines.length - shown)].join('\n');
  return { text: cut, tokens: estimateTokens(cut), moreLines: lines.length - shown };
}

const marker = (more: number) => `[truncated: ${more} more lines]`;
