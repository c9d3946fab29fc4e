/**
 * Line helpers shared by the detectors: which changed lines are code (not comments or blank), which
 * changes are only moves or re-indentation, and the evidence record every detector returns.
 */
import { z } from 'zod';
import type { DiffFile, DiffLine } from '../diff.js';

export const evidenceSchema = z.object({
  file: z.string(),
  line: z.number().int().min(1).optional(),
  rule: z.string(),
  excerpt: z.string(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

const EXCERPT_MAX = 160;

export function evidence(file: string, line: DiffLine | undefined, rule: string, excerpt?: string): Evidence {
  const text = (excerpt ?? line?.text ?? '').trim();
  const short = text.length > EXCERPT_MAX ? `${text.slice(0, EXCERPT_MAX - 1)}…` : text;
  return line && line.line >= 1 ? { file, line: line.line, rule, excerpt: short } : { file, rule, excerpt: short };
}

/** Whitespace-insensitive identity of a line, for "moved" and "re-indented" comparisons. */
export const squash = (text: string): string => text.replace(/\s+/g, '');

const HASH = /\.(py|pyi|rb|rake|sh|bash|zsh|ya?ml|toml|ini|cfg|conf|env|properties|r|pl|tf|graphql|gql|graphqls|sql|mk|php|ex|exs|nix)$|(^|\/)(Dockerfile[^/]*|Makefile|Gemfile|Rakefile|Procfile|Pipfile|\.env[^/]*|[^/]*requirements[^/]*\.txt)$/i;
const SLASH = /\.([cm]?[jt]sx?|go|rs|java|kt|kts|scala|cs|c|h|cc|cpp|hpp|swift|dart|php|prisma|css|scss|less|sass|tf|jsonc|json5|proto|vue|svelte|sql|groovy|gradle)$/i;
const DASH = /\.(sql|lua|hs|elm)$/i;
const DOCSTRING = /\.(py|pyi|graphql|gql|graphqls)$/i;

interface CommentStyle { hash: boolean; slash: boolean; dash: boolean; docstring: boolean }

function commentStyle(path: string): CommentStyle {
  const known = HASH.test(path) || SLASH.test(path) || DASH.test(path);
  return {
    hash: HASH.test(path) || !known,
    slash: SLASH.test(path) || !known,
    dash: DASH.test(path),
    docstring: DOCSTRING.test(path),
  };
}

function isCommentLine(t: string, style: CommentStyle): boolean {
  return (style.hash && /^#(?![[{!])/.test(t))
    || (style.slash && /^(\/\/|\/\*|\*\/|\*(\s|$))/.test(t))
    || (style.dash && t.startsWith('--'))
    || /^(<!--|-->)/.test(t);
}

type BlockEnd = '*/' | '"""' | "'''" | '-->';

/**
 * Drops blank and comment lines (`#`, `//`, `--`, block comments and their `* ` continuations, Python
 * and GraphQL docstrings, HTML comments), by the file's language. Block state is tracked across
 * consecutive lines and reset at every gap, so a stray delimiter can never hide a whole file.
 */
export function codeLines(lines: DiffLine[], path: string): DiffLine[] {
  const style = commentStyle(path);
  const out: DiffLine[] = [];
  let block: BlockEnd | null = null;
  let previous = -1;
  for (const l of lines) {
    if (l.line !== previous + 1) block = null;
    previous = l.line;
    const t = l.text.trim();
    if (block) {
      if (t.includes(block)) block = null;
      continue;
    }
    if (t === '') continue;
    const quote = style.docstring ? /^[rubf]*("""|''')/i.exec(t)?.[1] : undefined;
    if (quote === '"""' || quote === "'''") {
      if (t.split(quote).length === 2) block = quote; // opened, not closed on this line
      continue;
    }
    if (style.slash && t.startsWith('/*') && !t.includes('*/')) block = '*/';
    else if (t.startsWith('<!--') && !t.includes('-->')) block = '-->';
    if (isCommentLine(t, style)) continue;
    out.push(l);
  }
  return out;
}

/**
 * The code lines that really changed: comments and blank lines dropped, a removed line cancelled by an
 * added line with the same non-whitespace text (re-indented or moved within the file), and nothing at
 * all when what is left only reformats the same code.
 */
export function substantive(file: DiffFile): { added: DiffLine[]; removed: DiffLine[] } {
  const kept = withoutPairs(codeLines(file.added, file.path), codeLines(file.removed, file.oldPath ?? file.path), (l) => squash(l.text));
  if (kept.added.length > 0 && formatted(kept.added) === formatted(kept.removed)) return { added: [], removed: [] };
  return kept;
}

/** Drops each added line that has a removed line with the same key, and that removed line. */
export function withoutPairs(added: DiffLine[], removed: DiffLine[], key: (line: DiffLine) => string): { added: DiffLine[]; removed: DiffLine[] } {
  const removedKeys = removed.map(key);
  const pool = new Map<string, number>();
  for (const k of removedKeys) pool.set(k, (pool.get(k) ?? 0) + 1);
  const keptAdded = added.filter((l) => !take(pool, key(l)));
  return { added: keptAdded, removed: removed.filter((_, i) => take(pool, removedKeys[i]!)) };
}

/**
 * Code as a formatter (black, prettier, standardrb) leaves its meaning: without whitespace or line
 * breaks, one kind of quote, no trailing comma before a closing bracket; in Ruby `:key => v` as `key: v`,
 * `%w(a b)` as `%w[a b]` and `CGI::escape(` as `CGI.escape(`. `('a', 'b',)` over two lines is `("a","b")`.
 */
function formatted(lines: DiffLine[]): string {
  return lines.map((l) => squash(l.text)).join('')
    .replace(/'/g, '"')
    .replace(/,(?=[)\]}])/g, '')
    .replace(/(^|[^\w:]):(\w+)=>/g, '$1$2:')
    .replace(/%([wi])\(([^()]*)\)/g, '%$1[$2]')
    .replace(/::(?=[a-z_]\w*\()/g, '.');
}

function take(pool: Map<string, number>, key: string): boolean {
  const n = pool.get(key) ?? 0;
  if (n > 0) pool.set(key, n - 1);
  return n > 0;
}

/** Every added (or removed) line of the whole diff, squashed: to tell a move across files from a change. */
export function squashedSet(files: DiffFile[], side: 'added' | 'removed'): Set<string> {
  const set = new Set<string>();
  for (const f of files) for (const l of f[side]) set.add(squash(l.text));
  return set;
}
