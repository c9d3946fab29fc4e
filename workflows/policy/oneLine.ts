/**
 * Free text from a model or an error message as one line of a list of reasons: gate reasons are joined
 * with newlines into a record's rationale and shown one per line by the CLI and the PR comment, so text
 * that carries its own line breaks could forge a reason of its own. Line breaks and other control
 * characters become spaces, and the invisible marks and bidirectional overrides that make a reader see
 * something other than what is there are removed; runs of spaces collapse to one.
 *
 * Pure and dependency-free: it runs inside Temporal workflow code.
 */

import { C0_CONTROLS, C1_CONTROLS, INVISIBLE_MARKS, LINE_SEPARATORS } from './hiddenText.js';

const BREAKING = new RegExp(`[${C0_CONTROLS}${C1_CONTROLS}${LINE_SEPARATORS}]`, 'g');
const INVISIBLE = new RegExp(`[${INVISIBLE_MARKS}]`, 'g');

export function oneLine(text: string): string {
  return text.replace(BREAKING, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
}
