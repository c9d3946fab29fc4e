import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/paths.js';
import type { Prompt } from './types.js';

const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n/;

/**
 * Loads prompts/<agent>.md. Its front matter gives `version`; the sha256 covers the whole file, so any
 * edit to a prompt shows up in every decision record made with it.
 */
export async function loadPrompt(agent: string, dir = path.join(PROJECT_ROOT, 'prompts')): Promise<Prompt> {
  const file = path.join(dir, `${agent}.md`);
  const raw = await readFile(file, 'utf8');
  const match = FRONT_MATTER.exec(raw);
  const version = match?.[1]?.match(/^version:\s*(\S+)\s*$/m)?.[1];
  if (!match || !version) throw new Error(`${file}: needs front matter with a version (---\\nversion: 1.0.0\\n---)`);
  return { agent, version: `${agent}/${version}`, text: raw.slice(match[0].length).trim(), sha256: createHash('sha256').update(raw).digest('hex') };
}
