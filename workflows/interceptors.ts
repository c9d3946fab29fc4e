/**
 * The OpenTelemetry workflow interceptors, bundled with the workflow code only when tracing is on
 * (workers/telemetry.ts). They are the SDK's own (@temporalio/interceptors-opentelemetry), with one
 * change: span and trace ids come from a generator of their own.
 *
 * Why: the SDK's tracer draws ids from Math.random, which inside a workflow is the run's seeded
 * generator, the one behind uuid4(). Every span would move it on, so uuid4() (the deploy lock's request
 * id) would differ between a traced and an untraced worker, and between a run and its replay whenever a
 * query (traced live, never replayed) came in between: a replay that no longer matches its history.
 * Our ids never touch it: the workflow's randomness, and so its history, is the same with tracing on or off.
 */
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter.js';
import { BasicTracerProvider, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { Next, QueryInput, UpdateInput, WorkflowInboundCallsInterceptor } from '@temporalio/workflow';
import type { Tracer } from '@opentelemetry/api';

/** sfc32, a small generator with 128 bits of state, seeded from a string (the run id): no Math.random. */
function generator(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  const next = () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let [a, b, c, d] = [next(), next(), next(), next()];
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/**
 * Ids from the run's own stream; spans of queries and update validations (never replayed) from a second
 * one, so they do not shift the ids of the spans that follow them.
 */
class RunIdGenerator implements IdGenerator {
  private readonly main: () => number;
  private readonly sideline: () => number;
  onSideline = false;

  constructor(runId: string) {
    this.main = generator(runId);
    this.sideline = generator(`${runId}/queries`);
  }

  generateTraceId(): string {
    return this.hex(4);
  }

  generateSpanId(): string {
    return this.hex(2);
  }

  private hex(words: number): string {
    const draw = this.onSideline ? this.sideline : this.main;
    let id = '';
    for (let i = 0; i < words; i++) id += draw().toString(16).padStart(8, '0');
    return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id; // an all-zero id is invalid
  }
}

let ids: RunIdGenerator | undefined;
let tracer: Tracer | undefined;

/** One tracer per run (module state is per workflow run); its spans leave through the SDK's exporter sink. */
function runTracer(): { tracer: Tracer; ids: RunIdGenerator } {
  if (!ids || !tracer) {
    ids = new RunIdGenerator(workflowInfo().runId);
    const provider = new BasicTracerProvider({ idGenerator: ids, spanProcessors: [new SimpleSpanProcessor(new SpanExporter())] });
    // The SDK's interceptors (constructed first) registered the context manager and propagator this tracer uses.
    tracer = provider.getTracer('@temporalio/interceptor-workflow');
  }
  return { tracer, ids };
}

class InboundInterceptor extends OpenTelemetryInboundInterceptor {
  protected override readonly tracer = runTracer().tracer;

  override handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    return onSideline(() => super.handleQuery(input, next));
  }

  override validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    onSideline(() => super.validateUpdate(input, next));
  }
}

class OutboundInterceptor extends OpenTelemetryOutboundInterceptor {
  protected override readonly tracer = runTracer().tracer;
}

/** The span is started synchronously, before the first await: the flag covers exactly its id. */
function onSideline<T>(fn: () => T): T {
  const generator = runTracer().ids;
  generator.onSideline = true;
  try {
    return fn();
  } finally {
    generator.onSideline = false;
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new InboundInterceptor()],
  outbound: [new OutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
