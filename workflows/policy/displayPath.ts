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

import { C0_CONTROLS, C1_CONTROLS, INVISIBLE_MARKS, LINE_SEPARATORS } from './hiddenText.js';

/** Controls, `"`, line separators and invisible marks. */
const UNSAFE = new RegExp(`[${C0_CONTROLS}${C1_CONTROLS}"${LINE_SEPARATORS}${INVISIBLE_MARKS}]`);
/** What JSON.stringify leaves as it is (it escapes C0 controls and `"`) but a reader must see escaped. */
const INVISIBLE = new RegExp(`[${C1_CONTROLS}${LINE_SEPARATORS}${INVISIBLE_MARKS}]`, 'g');

export function displayPath(path: string): string {
  if (path !== '' && !UNSAFE.test(path)) return path;
  return JSON.stringify(path).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
