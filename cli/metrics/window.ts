/** `--since` durations: a whole number followed by m (minutes), h (hours), d (days) or w (weeks). */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** Ten years: beyond that a typo is more likely than a wish. */
const MAX_MS = 3_650 * UNIT_MS.d;

/** The duration in ms, or null when `text` is not one (the caller names the flag in its error). */
export function parseSince(text: string): number | null {
  const match = /^([1-9]\d{0,5})([mhdw])$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_MS ? ms : null;
}
