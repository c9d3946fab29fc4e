import { readdir, readFile } from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { OTEL_WORKFLOW_INTERCEPTORS, startTracing } from './workers/telemetry.js';
import { WORKFLOWS_PATH } from './workers/worker.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
Runtime.install({ logger: new DefaultLogger('ERROR') });
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };
const tracing = await startTracing({ PRPILOT_OTEL: '1', PRPILOT_OTEL_EXPORTER: 'otlp' }, { exporter: new InMemorySpanExporter() });
const plain = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
const traced = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS], logger: quiet });
const dir = new URL('./test/histories/', import.meta.url);
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
  const history = JSON.parse(await readFile(new URL(file, dir), 'utf8'));
  for (const [name, bundle] of [['plain', plain], ['traced', traced]] as const) {
    try { await Worker.runReplayHistory({ workflowBundle: bundle, ...(name === 'traced' ? { sinks: tracing.worker.sinks } : {}) }, history, file); console.log(file, name, 'OK'); }
    catch (e) { console.log(file, name, 'FAIL', (e as Error).message.slice(0, 200)); }
  }
}
process.exit(0);
