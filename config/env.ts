import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages.js';
import { DEFAULT_WORKFLOW_MEMORY_MB, MIN_WORKFLOW_MEMORY_MB } from '../workers/workflowMemory.js';

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** Temporal Cloud (or any server taking API keys): sent as a bearer token over TLS. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  PRPILOT_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  PRPILOT_LLM: z.enum(['anthropic', 'offline']).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  PRPILOT_MODEL: z.string().min(1).default('claude-sonnet-4-5'),
  /** One model call's time limit; Temporal retries a call that runs out. */
  PRPILOT_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  PRPILOT_UI_URL: z.string().url().optional(),
  // Secrets: checked where they are used (workers/codec.ts, the codec server), so no message echoes them.
  /** base64 of 32 bytes: enables the payload encryption codec. */
  PRPILOT_ENCRYPTION_KEY: z.string().optional(),
  /** Comma-separated base64 keys that only decrypt (key rotation). */
  PRPILOT_ENCRYPTION_OLD_KEYS: z.string().optional(),
  /** Bearer token the codec server requires, when set. */
  PRPILOT_CODEC_TOKEN: z.string().optional(),
  /** GitHub repositories as PR sources: read PRs, code and config; post statuses and comments. */
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  /** The shared secret that signs `prpilot webhook` deliveries (HMAC-SHA256). */
  PRPILOT_WEBHOOK_SECRET: z.string().optional(),
  /** Notification channels besides the log file; checked in activities/notify/select.ts (the URLs hold secrets). */
  PRPILOT_SLACK_WEBHOOK_URL: z.string().optional(),
  PRPILOT_NOTIFY_WEBHOOK_URL: z.string().optional(),
  /** Signs notification webhook bodies: X-Prpilot-Signature-256 (HMAC-SHA256). */
  PRPILOT_NOTIFY_WEBHOOK_SECRET: z.string().optional(),
  /** Tracing with OpenTelemetry (docs/observability.md): off unless 1 or true. */
  PRPILOT_OTEL: z.enum(['0', '1', 'false', 'true']).default('0'),
  /** otlp: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the standard OTEL_* variables apply); console: stdout. */
  PRPILOT_OTEL_EXPORTER: z.enum(['otlp', 'console']).default('otlp'),
  OTEL_SERVICE_NAME: z.string().optional(),
  /** The worker's Prometheus endpoint (/metrics): a port (all interfaces) or host:port. */
  PRPILOT_METRICS_PORT: z.string()
    .regex(/^(?:(?:[\w.-]+|\[[0-9a-fA-F:]+\]):)?\d{1,5}$/, 'must be a port or host:port')
    .refine((value) => { const port = Number(value.slice(value.lastIndexOf(':') + 1)); return port >= 1 && port <= 65535; }, 'port must be from 1 to 65535')
    .optional(),
  /** The worker's workflow thread heap, MB; the workflow cache is sized to fit it (workers/workflowMemory.ts). */
  PRPILOT_WORKFLOW_MEMORY_MB: z.coerce.number().int().min(MIN_WORKFLOW_MEMORY_MB).default(DEFAULT_WORKFLOW_MEMORY_MB),
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
