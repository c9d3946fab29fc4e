import type { CommandSpec } from '../args.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  spec: CommandSpec<Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>;
  /** Returns the exit code; throws UsageError (2) or CliError (1) with a message for the user. */
  run(argv: string[], io: Io): Promise<number>;
}
