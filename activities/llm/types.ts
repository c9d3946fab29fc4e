import type { z } from 'zod';
import type { TokenUsage } from '../../workflows/messages.js';
import type { AgentIdentity } from '../agent.js';

/** A prompt file under prompts/: its text, its version (front matter) and the sha256 of the file. */
export interface Prompt {
  agent: string;
  version: string;
  text: string;
  sha256: string;
}

/**
 * One structured call to the model: the system prompt (cached), untrusted data as fenced user content,
 * and the zod schema the answer must satisfy. One repair pass on invalid output, then it throws an
 * `AgentOutputInvalid` failure (the workflow turns that into the `agent_uncertain` gate).
 */
export interface StructuredRequest<S extends z.ZodType> {
  prompt: Prompt;
  /** The user turn: instructions plus untrusted material already fenced with `fence()`. */
  user: string;
  schema: S;
  /** Name of the output, used in the schema/tool name (e.g. "review"). */
  schemaName: string;
  maxTokens?: number;
}

export interface StructuredResult<T> {
  output: T;
  tokens: TokenUsage;
  identity: AgentIdentity;
  /** How many calls it took (2 when the repair pass was needed). */
  calls: number;
}

export interface ModelClient {
  readonly model: string;
  structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredResult<z.infer<S>>>;
}

export function addTokens(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite };
}
