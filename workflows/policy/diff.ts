/**
 * A unified-diff parser for `git diff` and `git show --format=email --stat -p` output (anything before
 * the first `diff --git` line — email header, commit message, diffstat — is ignored). Without any
 * `diff --git` line the text is read as a plain `diff -u` patch (`--- x` / `+++ y` file headers).
 *
 * Hunk bodies are consumed by the counts in their `@@ -a,b +c,d @@` header, so a removed line that
 * happens to read `-- ` or `diff --git …` is never mistaken for a header. Pure and dependency-free:
 * it runs inside Temporal workflow code.
 *
 * Copies (`copy from`/`copy to`) are reported as `added` with `oldPath` set to the source.
 * A file whose git mode after the change is 120000 is a symbolic link (`symlink: true`): its added lines
 * are the link's target, as git prints it, never the content of the file it points to.
 */

export interface DiffLine {
  /** Line number in the new file for added lines, in the old file for removed lines. */
  line: number;
  text: string;
}

export type DiffStatus = 'added' | 'deleted' | 'modified' | 'renamed';

export interface DiffFile {
  /** The file's path after the change (its old path when deleted). */
  path: string;
  /** The path before a rename or copy; null otherwise. */
  oldPath: string | null;
  status: DiffStatus;
  binary: boolean;
  added: DiffLine[];
  removed: DiffLine[];
  /** Present (true) only when the file is a symbolic link after the change; its added lines are the target. */
  symlink?: true;
  /** A moved file whose type could not be looked up (activities/change/movedLinks.ts): it may be a link. */
  linkUnverified?: true;
}

const NULL_PATH = '/dev/null';
const SYMLINK_MODE = '120000';
/** `index 1a2b..3c4d 100644`: the mode, when it did not change. */
const INDEX_MODE = /^index [0-9a-f]+\.\.[0-9a-f]+ ([0-7]{6})$/;

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

interface Draft {
  headerOld: string | null;
  headerNew: string | null;
  minusPath: string | null;
  plusPath: string | null;
  renameFrom: string | null;
  renameTo: string | null;
  copied: boolean;
  newFile: boolean;
  deletedFile: boolean;
  binary: boolean;
  /** The git mode after the change: `new file mode`, `new mode`, or the `index` line's unchanged mode. */
  newMode: string | null;
  added: DiffLine[];
  removed: DiffLine[];
}

export function parseUnifiedDiff(text: string): DiffFile[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const gitMode = lines.some((l) => l.startsWith('diff --git '));
  const files: DiffFile[] = [];
  let draft: Draft | null = null;
  let inBinaryPatch = false;

  const flush = () => {
    if (draft) files.push(finish(draft));
    draft = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('diff --git ')) {
      flush();
      inBinaryPatch = false;
      const [headerOld, headerNew] = splitGitHeader(line.slice('diff --git '.length));
      draft = emptyDraft(headerOld, headerNew);
      continue;
    }
    if (!gitMode && line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      flush();
      draft = emptyDraft(null, null);
    }
    if (!draft || inBinaryPatch) continue;
    const d: Draft = draft;

    const hunk = HUNK_HEADER.exec(line);
    if (hunk) {
      i = readHunk(lines, i + 1, hunk, d) - 1;
      continue;
    }
    if (line.startsWith('--- ')) d.minusPath = headerPath(line.slice(4));
    else if (line.startsWith('+++ ')) d.plusPath = headerPath(line.slice(4));
    else if (line.startsWith('new file mode')) {
      d.newFile = true;
      d.newMode = line.slice('new file mode'.length).trim();
    } else if (line.startsWith('new mode ')) d.newMode = line.slice('new mode '.length).trim();
    else if (INDEX_MODE.test(line)) d.newMode ??= INDEX_MODE.exec(line)?.[1] ?? null;
    else if (line.startsWith('deleted file mode')) d.deletedFile = true;
    else if (line.startsWith('rename from ')) d.renameFrom = unquote(line.slice('rename from '.length));
    else if (line.startsWith('rename to ')) d.renameTo = unquote(line.slice('rename to '.length));
    else if (line.startsWith('copy from ')) {
      d.renameFrom = unquote(line.slice('copy from '.length));
      d.copied = true;
    } else if (line.startsWith('copy to ')) d.renameTo = unquote(line.slice('copy to '.length));
    else if (line.startsWith('Binary files ') && line.endsWith(' differ')) d.binary = true;
    else if (line === 'GIT binary patch') {
      d.binary = true;
      inBinaryPatch = true;
    }
  }
  flush();
  return files;
}

function emptyDraft(headerOld: string | null, headerNew: string | null): Draft {
  return {
    headerOld, headerNew, minusPath: null, plusPath: null, renameFrom: null, renameTo: null,
    copied: false, newFile: false, deletedFile: false, binary: false, newMode: null, added: [], removed: [],
  };
}

/** Reads one hunk body starting at `start`; returns the index of the first line after it. */
function readHunk(lines: string[], start: number, header: RegExpExecArray, d: Draft): number {
  let oldLine = Number(header[1]);
  let newLine = Number(header[3]);
  let oldLeft = header[2] === undefined ? 1 : Number(header[2]);
  let newLeft = header[4] === undefined ? 1 : Number(header[4]);
  let i = start;
  while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
    const line = lines[i] ?? '';
    if (line.startsWith('diff --git ')) break; // malformed counts: never swallow the next file
    const mark = line[0];
    if (mark === '+') {
      d.added.push({ line: newLine++, text: line.slice(1) });
      newLeft--;
    } else if (mark === '-') {
      d.removed.push({ line: oldLine++, text: line.slice(1) });
      oldLeft--;
    } else if (mark === ' ' || line === '') {
      oldLine++;
      newLine++;
      oldLeft--;
      newLeft--;
    } else if (mark !== '\\') {
      break; // not hunk content: let the caller read it
    }
    i++;
  }
  // A trailing "\ No newline at end of file" belongs to this hunk.
  while (i < lines.length && (lines[i] ?? '').startsWith('\\')) i++;
  return i;
}

function finish(d: Draft): DiffFile {
  const oldPath = d.renameFrom ?? nonNull(d.minusPath) ?? d.headerOld;
  const newPath = d.renameTo ?? nonNull(d.plusPath) ?? d.headerNew;
  const added = d.newFile || d.minusPath === NULL_PATH || d.copied;
  const deleted = d.deletedFile || d.plusPath === NULL_PATH;
  const renamed = !added && !deleted && oldPath !== null && newPath !== null && oldPath !== newPath;
  const status: DiffStatus = added ? 'added' : deleted ? 'deleted' : renamed ? 'renamed' : 'modified';
  const path = (deleted ? oldPath ?? newPath : newPath ?? oldPath) ?? '';
  return {
    path,
    oldPath: renamed || d.copied ? oldPath : null,
    status,
    binary: d.binary,
    added: d.added,
    removed: d.removed,
    ...(d.newMode === SYMLINK_MODE && !deleted ? { symlink: true as const } : {}),
  };
}

function nonNull(path: string | null): string | null {
  return path === NULL_PATH ? null : path;
}

/** `--- a/x.ts` / `+++ "b/caf\303\251.txt"`, possibly followed by a tab and a timestamp (diff -u). */
function headerPath(raw: string): string {
  const value = raw.startsWith('"') ? unquote(raw) : (raw.split('\t')[0] ?? raw).trimEnd();
  return value === NULL_PATH ? value : stripPrefix(value);
}

/** Splits `a/x b/y` (either side possibly quoted, unquoted paths possibly containing spaces). */
function splitGitHeader(rest: string): [string | null, string | null] {
  if (rest.startsWith('"')) {
    const end = closingQuote(rest);
    const second = rest.slice(end + 1).trimStart();
    return [stripPrefix(unquote(rest.slice(0, end + 1))), stripPrefix(unquote(second))];
  }
  if (rest.endsWith('"')) {
    const start = rest.lastIndexOf(' "');
    return [stripPrefix(rest.slice(0, start)), stripPrefix(unquote(rest.slice(start + 1)))];
  }
  // Unquoted: prefer the split where both sides name the same file (the common, unrenamed case).
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const [a, b] = [rest.slice(0, half), rest.slice(half + 1)];
    if (stripPrefix(a) === stripPrefix(b)) return [stripPrefix(a), stripPrefix(b)];
  }
  const split = rest.indexOf(' b/');
  if (split > 0) return [stripPrefix(rest.slice(0, split)), stripPrefix(rest.slice(split + 1))];
  const space = rest.indexOf(' ');
  return space > 0 ? [rest.slice(0, space), rest.slice(space + 1)] : [rest, rest];
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length - 1;
}

function stripPrefix(path: string): string {
  return /^[abciwo]\//.test(path) ? path.slice(2) : path;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Git's C-style quoting: `"a/caf\303\251.txt"` → `a/café.txt` (octal escapes are UTF-8 bytes). */
export function unquote(raw: string): string {
  const s = raw.trim();
  if (!(s.startsWith('"') && s.endsWith('"') && s.length >= 2)) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      bytes.push(...utf8(c.codePointAt(0) ?? 0));
      if ((c.codePointAt(0) ?? 0) > 0xffff) i++;
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return decodeUtf8(bytes);
}

function utf8(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/** A small UTF-8 decoder (no TextDecoder needed); invalid sequences become U+FFFD. */
function decodeUtf8(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    let cp = extra === 0 ? b : b & (0x3f >> extra);
    let ok = b < 0x80 || extra > 0;
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    out += ok ? String.fromCodePoint(cp) : '\ufffd';
    if (ok) i += extra;
  }
  return out;
}
