import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { z } from 'zod';
import { prpilotConfigSchema, type PrpilotConfig } from './schema.js';

export const CONFIG_FILE = 'prpilot.config.json';

export class ConfigError extends Error {}

/**
 * The config comes from `--config FILE` or from the PR's *base* commit: a pull request must not be
 * able to loosen its own gates or thresholds by editing the config it is judged by.
 */
export async function loadConfig(options: { configPath?: string; repoPath?: string; baseSha?: string; remote?: RemoteRepo }): Promise<{ config: PrpilotConfig; source: string }> {
  if (options.configPath) {
    const text = await readFile(options.configPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`config: cannot read ${options.configPath}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    return { config: parseConfig(text, options.configPath), source: options.configPath };
  }
  if (options.remote && options.baseSha) return loadRemoteConfig(options.remote, options.baseSha);
  if (!options.repoPath || !options.baseSha) throw new ConfigError('config: pass --config FILE');
  const source = `${CONFIG_FILE} at base ${options.baseSha.slice(0, 12)}`;
  const text = await promisify(execFile)('git', ['-C', options.repoPath, 'show', `${options.baseSha}:${CONFIG_FILE}`])
    .then(({ stdout }) => stdout, () => null);
  if (text === null) {
    throw new ConfigError(`config: ${options.repoPath} has no ${CONFIG_FILE} at its base commit ${options.baseSha.slice(0, 12)}; commit one or pass --config FILE`);
  }
  return { config: parseConfig(text, source), source };
}

/** A repository read through an API (GitHub): its label for messages and how to read a file at a commit. */
export interface RemoteRepo {
  label: string;
  readFile(path: string, ref: string): Promise<string | null>;
}

async function loadRemoteConfig(remote: RemoteRepo, baseSha: string): Promise<{ config: PrpilotConfig; source: string }> {
  const source = `${CONFIG_FILE} of ${remote.label} at base ${baseSha.slice(0, 12)}`;
  const text = await remote.readFile(CONFIG_FILE, baseSha);
  if (text === null) {
    throw new ConfigError(`config: ${remote.label} has no ${CONFIG_FILE} at its base commit ${baseSha.slice(0, 12)}; commit one or pass --config FILE`);
  }
  return { config: parseConfig(text, source), source };
}

export function parseConfig(text: string, source: string): PrpilotConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config: ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = prpilotConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, raw, source));
  return parsed.data;
}

/** `config: canary.percent: must be at most 100 (got 150) in ./prpilot.config.json`, one line per problem. */
export function describeIssues(error: z.ZodError, raw: unknown, source: string): string {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(root)';
    const got = valueAt(raw, issue.path as (string | number)[]);
    if (got === undefined && issue.code === 'invalid_type') return `config: ${field}: is required in ${source}`;
    const shown = got === undefined || issue.code === 'unrecognized_keys' ? '' : ` (got ${JSON.stringify(got)})`;
    return `config: ${field}: ${plainMessage(issue)}${shown} in ${source}`;
  }).join('\n');
}

function plainMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'array' ? `must have at most ${issue.maximum} item(s)` : `must be at most ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return issue.inclusive === false ? `must be greater than ${issue.minimum}` : `must be at least ${issue.minimum}`;
    case 'invalid_type':
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
    case 'invalid_value':
      return `must be ${oneOf(issue.values)}`;
    case 'invalid_union':
      // A discriminated union (deploy.target, canary.metrics.source) lists the values it knows.
      return 'options' in issue && issue.options?.length ? `must be ${oneOf(issue.options)}` : issue.message;
    default:
      return issue.message;
  }
}

function oneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => JSON.stringify(value));
  return shown.length === 1 ? `${shown[0]}` : `one of ${shown.join(', ')}`;
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
