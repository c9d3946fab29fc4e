import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { z } from 'zod';
import type { TokenUsage } from '../../workflows/messages.js';
import { MODEL_OUTPUT_INVALID, modelFailure } from './errors.js';
import { addTokens, type ModelClient, type StructuredRequest, type StructuredResult } from './types.js';

export interface AnthropicSettings {
  apiKey: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
}

type MessageParam = Anthropic.MessageParam;

/**
 * The real model client: structured output validated by the agent's zod schema, the system prompt
 * marked for prompt caching, SDK retries off (Temporal retries), one repair pass on invalid output.
 */
export function createAnthropicModel(settings: AnthropicSettings): ModelClient {
  const client = new Anthropic({
    apiKey: settings.apiKey, baseURL: settings.baseURL, maxRetries: 0, timeout: settings.timeoutMs, logger: warnOnce(),
  });
  const call = async (system: string, messages: MessageParam[], format: ReturnType<typeof zodOutputFormat>, maxTokens: number) => {
    const signal = activityCancellation();
    try {
      return await client.messages.create({
        model: settings.model,
        max_tokens: maxTokens,
        system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
        messages,
        output_config: { format },
      }, { signal });
    } catch (error) {
      // A cancelled activity (a revision pushed, the run cancelled, the worker shutting down) ends as cancelled.
      if (signal?.aborted) throw signal.reason ?? error;
      throw modelFailure(error, settings.model);
    }
  };
  return {
    model: settings.model,
    async structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<StructuredResult<z.infer<S>>> {
      const format = zodOutputFormat(request.schema);
      const maxTokens = request.maxTokens ?? 4096;
      const messages: MessageParam[] = [{ role: 'user', content: request.user }];
      let tokens: TokenUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
      let problem = '';
      for (let calls = 1; calls <= 2; calls++) {
        const message = await call(request.prompt.text, messages, format, maxTokens);
        tokens = addTokens(tokens, usageOf(message.usage));
        const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
        const checked = validate(request.schema, text, message.stop_reason);
        if (checked.ok) {
          return {
            output: checked.value,
            tokens,
            calls,
            identity: { agent: request.prompt.agent, agentVersion: request.prompt.version, model: settings.model, promptSha256: request.prompt.sha256 },
          };
        }
        problem = checked.problem;
        messages.push(
          { role: 'assistant', content: text || '(no output)' },
          { role: 'user', content: `Your answer was not valid: ${problem}\nAnswer again with only the ${request.schemaName} JSON object that satisfies the schema.` },
        );
      }
      // Fail closed: the workflow turns this into the agent_uncertain gate, i.e. a human decides.
      throw ApplicationFailure.create({
        message: `the ${request.prompt.agent} agent's output was invalid twice (last: ${problem})`,
        type: MODEL_OUTPUT_INVALID,
        nonRetryable: true,
      });
    },
  };
}

/** The running activity's cancellation, so a cancelled activity stops paying for its model call; none outside an activity. */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not in an activity (a benchmark or a test calling the client directly)
  }
}

function validate<S extends z.ZodType>(schema: S, text: string, stopReason: string | null): { ok: true; value: z.infer<S> } | { ok: false; problem: string } {
  if (stopReason === 'refusal') return { ok: false, problem: 'the model refused to answer' };
  if (stopReason === 'max_tokens') return { ok: false, problem: 'the answer was cut off at max_tokens' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problem: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ') };
  }
  return { ok: true, value: parsed.data };
}

function usageOf(usage: Anthropic.Usage): TokenUsage {
  return {
    input: usage.input_tokens,
    output: usage.output_tokens,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheWrite: usage.cache_creation_input_tokens ?? 0,
  };
}

/** The SDK warns on every call (e.g. a model's deprecation date); say each distinct warning once. */
function warnOnce() {
  const seen = new Set<string>();
  const warn = (message: string, ...rest: unknown[]) => {
    const key = `${message}${rest.map(String).join(' ')}`;
    if (seen.has(key)) return;
    seen.add(key);
    console.warn(`prpilot: Anthropic SDK: ${key}`);
  };
  const ignore = () => undefined;
  return { error: (message: string, ...rest: unknown[]) => console.error(`prpilot: Anthropic SDK: ${message}`, ...rest), warn, info: ignore, debug: ignore };
}
