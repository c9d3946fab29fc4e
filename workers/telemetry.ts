/**
 * Tracing with OpenTelemetry, off unless PRPILOT_OTEL=1 (docs/observability.md). When on, Temporal's
 * interceptors trace the client's start, the workflow (inside its sandbox, exported through a sink) and
 * every activity in one trace per PR; a signal is a trace of its own, from the client into the workflow.
 * The workflow interceptors add a tracing header to the commands they pass on and nothing else, and draw
 * span ids from a generator of their own (workflows/interceptors.ts): histories replay either way.
 */
import { fileURLToPath } from 'node:url';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { PrpilotEnv } from '../config/env.js';

export type TracingEnv = Pick<PrpilotEnv, 'PRPILOT_OTEL' | 'PRPILOT_OTEL_EXPORTER' | 'OTEL_SERVICE_NAME'>;

export const WORKER_SERVICE_NAME = 'prpilot-worker';
export const CLI_SERVICE_NAME = 'prpilot-cli';

/**
 * The workflow interceptors, bundled with the workflow code when tracing is on: the SDK's, with span ids
 * that leave the workflow's randomness alone (see the module).
 */
export const OTEL_WORKFLOW_INTERCEPTORS = fileURLToPath(new URL('../workflows/interceptors.ts', import.meta.url));

/** What a worker adds for observability: interceptors, the workflow span sink, and the modules to bundle. */
export interface WorkerObservability {
  /** Workflow interceptor modules: the workflow code is then bundled with them (a prebuilt bundle lacks them). */
  workflowModules: string[];
  activity: ActivityInterceptorsFactory[];
  sinks?: InjectedSinks<OpenTelemetrySinks>;
}

export interface Tracing {
  readonly serviceName: string;
  readonly worker: WorkerObservability;
  readonly client: ClientInterceptors;
  /** Exports every span still buffered; call before the process exits. */
  flush(): Promise<void>;
}

export function tracingEnabled(env: TracingEnv): boolean {
  return env.PRPILOT_OTEL === '1' || env.PRPILOT_OTEL === 'true';
}

let current: Promise<Tracing> | null = null;

/**
 * The process's tracing, started on first use: the OpenTelemetry API is process-global, so there is one
 * tracer provider per process and later calls return it (whatever service name they ask for).
 * `exporter` replaces the one PRPILOT_OTEL_EXPORTER names (tests pass an InMemorySpanExporter).
 * The OpenTelemetry packages load only here, so commands without tracing do not pay for them.
 */
export function startTracing(env: TracingEnv, options: { serviceName?: string; exporter?: SpanExporter } = {}): Promise<Tracing> {
  current ??= createTracing(env, env.OTEL_SERVICE_NAME || options.serviceName || WORKER_SERVICE_NAME, options.exporter);
  return current;
}

async function createTracing(env: TracingEnv, serviceName: string, exporter: SpanExporter | undefined): Promise<Tracing> {
  const [{ AsyncLocalStorageContextManager }, { envDetectorSync, Resource }, { BasicTracerProvider }, otel] = await Promise.all([
    import('@opentelemetry/context-async-hooks'), import('@opentelemetry/resources'), import('@opentelemetry/sdk-trace-base'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are read by the env detector and win over the default name.
  const resource = new Resource({ 'service.name': serviceName }).merge(envDetectorSync.detect());
  const processor = await spanProcessorFor(env, exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const activity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
    outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
  });
  return {
    serviceName,
    worker: { workflowModules: [OTEL_WORKFLOW_INTERCEPTORS], activity: [activity], sinks: { exporter: otel.makeWorkflowExporter(processor, resource) } },
    client: { workflow: [new otel.OpenTelemetryWorkflowClientInterceptor()] },
    flush: () => provider.forceFlush(),
  };
}

async function spanProcessorFor(env: TracingEnv, exporter: SpanExporter | undefined): Promise<SpanProcessor> {
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  if (exporter) return new SimpleSpanProcessor(exporter);
  if (env.PRPILOT_OTEL_EXPORTER === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
  // Endpoint, headers, timeout and compression come from the standard OTEL_EXPORTER_OTLP_* variables.
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return new BatchSpanProcessor(new OTLPTraceExporter());
}

/** The process's tracing when PRPILOT_OTEL is on, else null. */
export async function tracingFromEnv(env: TracingEnv, serviceName = WORKER_SERVICE_NAME): Promise<Tracing | null> {
  return tracingEnabled(env) ? await startTracing(env, { serviceName }) : null;
}

/** Client interceptors that carry the trace into the workflow, when tracing is on (for `new Client`). */
export async function clientTracingInterceptors(env: TracingEnv): Promise<ClientInterceptors | undefined> {
  return (await tracingFromEnv(env, CLI_SERVICE_NAME))?.client;
}

/** Exports what the process's tracing still buffers (nothing when tracing is off). */
export async function flushTracing(): Promise<void> {
  await (await current)?.flush();
}

/** The worker's interceptors and sinks: tracing's when on, plus any other activity interceptors (metrics). */
export function workerObservability(tracing: Tracing | null, activity: ActivityInterceptorsFactory[] = []): WorkerObservability {
  return {
    workflowModules: tracing?.worker.workflowModules ?? [],
    activity: [...(tracing?.worker.activity ?? []), ...activity],
    ...(tracing?.worker.sinks ? { sinks: tracing.worker.sinks } : {}),
  };
}
