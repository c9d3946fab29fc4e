import type { PrpilotEnv } from '../config/env.js';
import type { Agents } from './deps.js';
import { createAnthropicModel } from './llm/anthropic.js';
import { loadPrompt } from './llm/prompts.js';
import { createOfflineReviewAgent } from './review/offline.js';
import { createClaudeReviewAgent } from './review/claude.js';
import { createOfflineTestAgent } from './tests/offline.js';
import { createClaudeTestAgent } from './tests/claude.js';
import { createOfflineValidationAgent } from './validation/offline.js';
import { createClaudeValidationAgent } from './validation/claude.js';
import { createOfflineDeploymentAgent } from './deployment/offline.js';
import { createClaudeDeploymentAgent } from './deployment/claude.js';

export class AgentSetupError extends Error {}

export function createOfflineAgents(): Agents {
  return {
    review: createOfflineReviewAgent(),
    tests: createOfflineTestAgent(),
    validation: createOfflineValidationAgent(),
    deployment: createOfflineDeploymentAgent(),
  };
}

/** The five agents on Claude, each with its prompt from prompts/ (hashed into every decision record). */
export async function createClaudeAgents(env: PrpilotEnv): Promise<Agents> {
  if (!env.ANTHROPIC_API_KEY) {
    throw new AgentSetupError('PRPILOT_LLM=anthropic needs ANTHROPIC_API_KEY (or set PRPILOT_LLM=offline for the offline agents)');
  }
  const model = createAnthropicModel({
    apiKey: env.ANTHROPIC_API_KEY,
    baseURL: env.ANTHROPIC_BASE_URL,
    model: env.PRPILOT_MODEL,
    timeoutMs: env.PRPILOT_LLM_TIMEOUT_MS,
  });
  const [review, tests, validation, deployment, incident] = await Promise.all(
    ['review', 'tests', 'validation', 'deployment', 'incident'].map((agent) => loadPrompt(agent)),
  );
  return {
    review: createClaudeReviewAgent(model, review!),
    tests: createClaudeTestAgent(model, tests!),
    validation: createClaudeValidationAgent(model, validation!),
    deployment: createClaudeDeploymentAgent(model, { deployment: deployment!, incident: incident! }),
  };
}

/** DESIGN.md: anthropic when ANTHROPIC_API_KEY is set (or PRPILOT_LLM=anthropic), else offline with a one-line notice. */
export async function agentsFor(env: PrpilotEnv, log: (line: string) => void = console.error): Promise<Agents> {
  if (env.llm === 'anthropic') {
    log(`prpilot: Claude agents, model ${env.PRPILOT_MODEL}${env.ANTHROPIC_BASE_URL ? ` at ${env.ANTHROPIC_BASE_URL}` : ''}`);
    return createClaudeAgents(env);
  }
  log('prpilot: no ANTHROPIC_API_KEY set: using the offline agents (deterministic heuristics, no network)');
  return createOfflineAgents();
}
