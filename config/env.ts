import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages.js';

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  PRPILOT_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  PRPILOT_LLM: z.enum(['anthropic', 'offline']).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  PRPILOT_MODEL: z.string().min(1).default('claude-sonnet-4-5'),
  /** One model call's time limit; Temporal retries a call that runs out. */
  PRPILOT_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  PRPILOT_UI_URL: z.string().url().optional(),
});

export type PrpilotEnv = z.infer<typeof envSchema> & { llm: 'anthropic' | 'offline'; uiUrl: string };

export class EnvError extends Error {}

/** Reads prpilot's environment variables (DESIGN.md "Environment"); empty strings count as unset. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): PrpilotEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError(`environment: ${issue.path.join('.')} ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`);
  }
  const llm = parsed.data.PRPILOT_LLM ?? (parsed.data.ANTHROPIC_API_KEY ? 'anthropic' : 'offline');
  return { ...parsed.data, llm, uiUrl: parsed.data.PRPILOT_UI_URL ?? defaultUiUrl(parsed.data.TEMPORAL_ADDRESS) };
}

/** The dev server's UI is on :8233 next to :7233; elsewhere PRPILOT_UI_URL says where the UI is. */
function defaultUiUrl(address: string): string {
  const host = address.split(':')[0] || 'localhost';
  return `http://${host}:8233`;
}

export function workflowUrl(env: PrpilotEnv, workflowId: string, runId?: string): string {
  const base = `${env.uiUrl}/namespaces/${encodeURIComponent(env.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
