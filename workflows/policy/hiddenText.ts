/**
 * Characters that let text in a reason show something other than what is there, as regex class
 * contents: shared by displayPath (which quotes a path holding any) and oneLine (which flattens free text).
 * Pure and dependency-free: it runs inside Temporal workflow code.
 */

/** C0 controls: a newline or carriage return would start a line of its own. */
export const C0_CONTROLS = '\\u0000-\\u001f';
/** DEL and the C1 controls (NEL among them). */
export const C1_CONTROLS = '\\u007f-\\u009f';
/** The Unicode line and paragraph separators. */
export const LINE_SEPARATORS = '\\u2028\\u2029';
/** Zero-width space, LRM/RLM, bidi embeddings, overrides and isolates, BOM. */
export const INVISIBLE_MARKS = '\\u200b\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff';
