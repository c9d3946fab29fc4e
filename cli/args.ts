import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export interface CommandSpec<O extends NonNullable<ParseArgsConfig['options']>> {
  name: string;
  usage: string;
  summary: string;
  details?: string;
  options: O;
  positionals?: { min: number; max: number };
}

export function helpText(spec: { name: string; usage: string; summary: string; details?: string }): string {
  return [`prpilot ${spec.name}: ${spec.summary}`, '', `usage: ${spec.usage}`, ...(spec.details ? ['', spec.details] : [])].join('\n');
}

/** Strict parsing: an unknown flag or a missing value is a usage error naming it. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(spec: CommandSpec<O>, argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}\nusage: ${spec.usage}`);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min) throw new UsageError(`missing argument\nusage: ${spec.usage}`);
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}\nusage: ${spec.usage}`);
  }
  return parsed;
}

export const helpOption = { help: { type: 'boolean', short: 'h' } } as const;
export const jsonOption = { json: { type: 'boolean' } } as const;
