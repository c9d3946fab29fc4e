/** Exit codes (DESIGN.md): the outcome codes are what `start --wait` returns. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  awaitingApproval: 3,
  rolled_back: 10,
  rejected: 11,
  expired: 12,
  failed: 13,
} as const;

/** Bad arguments, flags or configuration: exit 2, nothing started. */
export class UsageError extends Error {}

/** Anything else the user must act on: exit 1 with the message alone (no stack trace). */
export class CliError extends Error {}
