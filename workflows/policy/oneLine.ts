/**
 * Free text from a model or an error message as one line of a list of reasons: gate reasons are joined
 * with newlines into a record's rationale and shown one per line by the CLI and the PR comment, so text
 * that carries its own line breaks could forge a reason of its own. Line breaks and other control
 * characters become spaces, and the invisible marks and bidirectional overrides that make a reader see
 * something other than what is there are removed; runs of spaces collapse to one.
 *
 * Pure and dependency-free: it runs inside Temporal workflow code.
 */

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
const BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** Zero-width space, LRM/RLM, bidi embeddings, overrides and isolates, BOM. */
const INVISIBLE = /[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function oneLine(text: string): string {
  return text.replace(BREAKING, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
}
