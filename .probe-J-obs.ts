import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { deployLockActivities } from './activities/lock/index.js';
import { homePaths } from './config/paths.js';
import { addSearchAttributes } from './server/searchAttributes.js';
import { temporalBinary } from './server/temporalBinaries.js';
import { installWorkerRuntime, pipelineMetrics } from './workers/metrics.js';
import { startTracing, workerObservability } from './workers/telemetry.js';
import { createDeps, createPrpilotWorker } from './workers/worker.js';
import { deployLockWorkflowId } from './workflows/deployLockMessages.js';
import { WORKFLOW_TYPE, statusQuery } from './workflows/messages.js';
import { fakeActivities, prInput } from './test/workflow/fakes.js';
import { freePort } from './test/helpers/temporal.js';

const useOtel = process.argv[2] === 'otel';
const port = await freePort();
installWorkerRuntime({ PRPILOT_METRICS_PORT: `127.0.0.1:${port}` }, { logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
const spans = new InMemorySpanExporter();
const tracing = await startTracing({ PRPILOT_OTEL: '1', PRPILOT_OTEL_EXPORTER: 'otlp' }, { exporter: spans });
const binary = await temporalBinary('test-server');
const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: binary.path! } } });
await addSearchAttributes(env.connection, 'default');
const deps = await createDeps(homePaths(await mkdtemp(path.join(tmpdir(), 'probe-'))));
const tq = 'probe';
const client = new Client({ connection: env.connection, interceptors: useOtel ? tracing.client : undefined });
const scenarios = (process.argv[3] ?? 'clean').split(',');
for (const scenario of scenarios) {
const worker = await createPrpilotWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue: tq, deps, dataConverter: undefined, log: console.log,
  observability: useOtel ? workerObservability(tracing, [pipelineMetrics()]) : workerObservability(null, [pipelineMetrics()]),
  overrides: { activities: { ...fakeActivities({ async prepareChange(i: { headSha: string }) { return { diffSha256: 'a'.repeat(64), stats: { files: 1, binaryFiles: 0, additions: 2, deletions: 0, bytes: 80 }, findings: { schemaChange: i.headSha === 'e'.repeat(40) ? [{ file: 'm.sql', line: 1, rule: 'sql-ddl', excerpt: 'ALTER' }] : [], newIntegration: [], secret: [], apiBreaking: [] }, heuristic: { score: 2, factors: [] }, paths: ['a'] }; } }).activities, ...deployLockActivities({ client: env.client, taskQueue: tq }) } } });
await worker.runUntil(async () => {

  const input = scenario === 'risky' ? { ...prInput(), headSha: 'e'.repeat(40) } : prInput();
  const id = `probe-${scenario}-${Math.random().toString(36).slice(2,6)}`;
  await client.workflow.start(WORKFLOW_TYPE, { taskQueue: tq, workflowId: id, args: [input] });
  const h = env.client.workflow.getHandle(id);
  const timer = setInterval(async () => {
    const d = await h.describe();
    console.log(id, 'status', d.status.name, JSON.stringify(await h.query(statusQuery).then((s) => s.stage).catch(String)), JSON.stringify(d.raw.pendingActivities?.map((a) => [a.activityType?.name, a.state, a.attempt, a.lastFailure?.message])));
  }, 10000);
  try { console.log('result', JSON.stringify(await h.result()).slice(0, 100)); } finally { clearInterval(timer); }
  const lock = env.client.workflow.getHandle(deployLockWorkflowId(input.config.service.name));
  const before = await lock.describe().catch((e) => String(e));
  console.log('lock before', typeof before === 'string' ? before : before.status.name, typeof before === 'string' ? '' : JSON.stringify(before.raw.pendingActivities));
  await lock.terminate('over').catch((e) => console.log('terminate failed', String(e)));
  const d = await lock.describe().catch((e) => String(e));
  console.log('lock after', typeof d === 'string' ? d : d.status.name);
});
}
console.log(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().then((t) => t.split('\n').filter((l) => l.startsWith('prpilot_prs')).join('\n')));
console.log('spans', spans.getFinishedSpans().length);
await env.teardown();
process.exit(0);
