/**
 * A file path (or a symlink target) as it appears in text for people: gate reasons, rationales, risk
 * factors, PR comments, CLI output. An ordinary path reads unchanged; one that could forge or hide text
 * is JSON-quoted, as git quotes such names: control characters (a newline would start a line of its
 * own in a list of reasons), a double quote, and the Unicode line separators, bidirectional overrides
 * and invisible marks that make a reader see something other than what is there. An empty path shows
 * as `""`. An unquoted result never starts with `"`, so a quoted one is never ambiguous.
 *
 * Pure and dependency-free: it runs inside Temporal workflow code.
 */

/** C0 and C1 controls, DEL, `"`; zero-width space, LRM/RLM, line/paragraph separators, bidi embeddings, overrides and isolates, BOM. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f"\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
/** What JSON.stringify leaves as it is but a reader must see escaped. */
const INVISIBLE = /[\u007f-\u009f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function displayPath(path: string): string {
  if (path !== '' && !UNSAFE.test(path)) return path;
  return JSON.stringify(path).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
