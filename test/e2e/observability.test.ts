/**
 * Observability end to end on the time-skipping server: a worker from createPrpilotWorker with the
 * Prometheus endpoint (PRPILOT_METRICS_PORT) and tracing on (an in-memory span exporter) runs three PRs
 * with fake agents and deploys: a schema change nobody approves (expired), one approved after its status
 * was queried (deployed), and a bad canary (rolled back). The endpoint, scraped over HTTP, must show
 * prpilot's counters and the Temporal SDK's own metrics; the spans must link the client's start, the
 * workflow and its activities in one trace; and histories must replay with and without the tracing
 * interceptors (the queries before the approved PR's deploy lock would break that if spans drew on the
 * workflow's randomness, see workflows/interceptors.ts).
 *
 * The Temporal runtime is process-global and set up once, before any connection: this file runs in its
 * own process (node --test does that per file) and never calls test/helpers' quietRuntime.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Worker } from '@temporalio/worker';
import { deployLockActivities } from '../../activities/lock/index.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { PreparedChange } from '../../activities/change/activity.js';
import { homePaths } from '../../config/paths.js';
import { addSearchAttributes } from '../../server/searchAttributes.js';
import { temporalBinary } from '../../server/temporalBinaries.js';
import { installWorkerRuntime, pipelineMetrics } from '../../workers/metrics.js';
import { OTEL_WORKFLOW_INTERCEPTORS, startTracing, workerObservability, type Tracing } from '../../workers/telemetry.js';
import { createDeps, createPrpilotWorker, WORKFLOWS_PATH } from '../../workers/worker.js';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/bundle.js';
import { deployLockWorkflowId } from '../../workflows/deployLockMessages.js';
import { approveSignal, statusQuery, WORKFLOW_TYPE, type PipelineStatus } from '../../workflows/messages.js';
import type { PrResult } from '../../workflows/input.js';
import { freePort, workflowBundle } from '../helpers/temporal.js';
import { failedWatch, fakeActivities, heldWatch, noFindings, passedWatch, prInput, withVerdictLog } from '../workflow/fakes.js';

const TASK_QUEUE = 'observability';
const RISKY_HEAD = 'e'.repeat(40);
const SCENARIOS = ['risky', 'approved', 'bad'] as const;
const schemaChange = { ...noFindings, schemaChange: [{ file: 'migrations/002.sql', line: 1, rule: 'sql-ddl', excerpt: 'ALTER TABLE orders' }] };

/** One set of fakes for all three PRs: the head decides the findings, the deployment id the canary's fate. */
function scenarioActivities() {
  return fakeActivities({
    async prepareChange(input: { headSha: string }): Promise<PreparedChange> {
      return {
        diffSha256: 'a'.repeat(64), stats: { files: 1, binaryFiles: 0, additions: 2, deletions: 0, bytes: 80 },
        findings: input.headSha === RISKY_HEAD ? schemaChange : noFindings, heuristic: { score: 2, factors: [] }, paths: ['src/app.js'],
      };
    },
    async watchCanary(input: { deploymentId: string; mode: 'step' | 'hold'; verdictLog?: boolean }) {
      const watch = input.deploymentId.startsWith('obs-bad') ? failedWatch() : input.mode === 'step' ? passedWatch() : heldWatch();
      return input.verdictLog ? withVerdictLog(watch) : watch;
    },
  }).activities;
}

/** Polls the status until `predicate` holds (a few seconds of real time at most). */
async function until(status: () => Promise<PipelineStatus>, predicate: (status: PipelineStatus) => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (predicate(await status())) return;
    await sleep(50);
  }
  throw new Error(`condition not reached; last status ${JSON.stringify(await status())}`);
}

/** `name{labels} value` lines of a Prometheus text exposition, as [series, value]. */
function samples(text: string): [string, number][] {
  return text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const cut = line.lastIndexOf(' ');
    return [line.slice(0, cut), Number(line.slice(cut + 1))];
  });
}

/** The sum of every series of `name` whose labels include all of `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return samples(text)
    .filter(([series]) => (series === name || series.startsWith(`${name}{`)) && Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`)))
    .reduce((sum, [, value]) => sum + value, 0);
}

describe('worker observability on the time-skipping server', { timeout: 600_000 }, () => {
  let env: TestWorkflowEnvironment | undefined;
  let tracing: Tracing;
  let home = '';
  let deps: ActivityDeps | undefined;
  let metricsUrl = '';
  const spans = new InMemorySpanExporter();
  const results = new Map<string, PrResult>();

  before(async () => {
    const port = await freePort();
    const address = installWorkerRuntime({ PRPILOT_METRICS_PORT: `127.0.0.1:${port}` }, {
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
    });
    assert.equal(address, `127.0.0.1:${port}`);
    metricsUrl = `http://${address}/metrics`;
    tracing = await startTracing({ PRPILOT_OTEL: '1', PRPILOT_OTEL_EXPORTER: 'otlp' }, { exporter: spans });
    const binary = await temporalBinary('test-server');
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: binary.path ? { type: 'existing-path', path: binary.path } : { type: 'cached-download' } },
    });
    await addSearchAttributes(env.connection, 'default');
    home = await mkdtemp(path.join(tmpdir(), 'prpilot-e2e-obs-'));
    deps = await createDeps(homePaths(home));
  });

  after(async () => {
    await deps?.target.stopAll();
    await env?.teardown();
    await rm(home, { recursive: true, force: true });
  });

  it('runs a risky, an approved and a bad PR through a worker with metrics and tracing on', async () => {
    assert.ok(env && deps);
    const testEnv = env;
    const worker = await createPrpilotWorker({
      connection: testEnv.nativeConnection, namespace: 'default', taskQueue: TASK_QUEUE, deps, dataConverter: undefined,
      observability: workerObservability(tracing, [pipelineMetrics()]),
      overrides: { activities: { ...scenarioActivities(), ...deployLockActivities({ client: testEnv.client, taskQueue: TASK_QUEUE }) } },
    });
    // The CLI's client: its start opens the trace the workflow continues.
    const client = new Client({ connection: testEnv.connection, interceptors: tracing.client });
    await worker.runUntil(async () => {
      // The expiring PR first: after a run that took a deploy lock, the test server no longer skipped its 24 h wait.
      for (const key of SCENARIOS) {
        const input = key === 'bad' ? prInput() : { ...prInput(), headSha: RISKY_HEAD };
        const workflowId = `obs-${key}`;
        const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue: TASK_QUEUE, workflowId, args: [input] });
        try {
          if (key === 'approved') {
            await until(() => handle.query(statusQuery), (status) => status.awaitingApproval);
            await handle.signal(approveSignal, { by: 'carol', reason: 'migration reviewed' });
          }
          // The test environment's client skips time while it waits (the risky PR's 24 h approval timeout).
          results.set(key, await testEnv.client.workflow.getHandle(workflowId).result() as PrResult);
        } finally {
          await testEnv.client.workflow.getHandle(deployLockWorkflowId(input.config.service.name)).terminate('test over').catch(() => undefined);
        }
      }
    });
    assert.deepEqual([...results].map(([key, result]) => [key, result.outcome, result.approvedBy]), [
      ['risky', 'expired', null], ['approved', 'deployed', 'carol'], ['bad', 'rolled_back', null],
    ]);
  });

  it('serves prpilot\'s counters and the SDK\'s metrics on one Prometheus endpoint', async () => {
    let text = '';
    // The SDK's workflow-completed counter lags the result by a workflow task completion: poll briefly.
    for (let i = 0; i < 50; i++) {
      text = await (await fetch(metricsUrl)).text();
      if (total(text, 'temporal_workflow_completed', { workflow_type: WORKFLOW_TYPE }) >= 3) break;
      await sleep(100);
    }
    assert.equal(total(text, 'prpilot_prs_total', { outcome: 'deployed' }), 1, text);
    assert.equal(total(text, 'prpilot_prs_total', { outcome: 'expired' }), 1);
    assert.equal(total(text, 'prpilot_prs_total', { outcome: 'rolled_back' }), 1);
    assert.equal(total(text, 'prpilot_prs_total', { outcome: 'rejected' }), 0, 'every outcome is a series from the start');
    assert.equal(total(text, 'prpilot_escalations_total', { gate: 'schema_change' }), 2);
    assert.equal(total(text, 'prpilot_escalations_total'), 2, 'only the two schema changes escalated');
    assert.equal(total(text, 'prpilot_rollbacks_total'), 1);
    assert.equal(total(text, 'prpilot_canary_verdicts_total', { verdict: 'pass' }), 2, 'the approved PR\'s interval and final judgements');
    assert.equal(total(text, 'prpilot_canary_verdicts_total', { verdict: 'fail' }), 1);
    // Five fake agent decisions of 10 input tokens each per PR that reaches the deploy decision, plus the incident report.
    const tokens = [...results.values()].reduce((sum, result) => sum + result.tokens.input, 0);
    assert.equal(total(text, 'prpilot_llm_tokens_total', { kind: 'input' }), tokens);
    assert.equal(total(text, 'prpilot_stage_duration_seconds_count', { stage: 'review' }), 3, 'each PR left review once');
    assert.equal(total(text, 'prpilot_stage_duration_seconds_count', { stage: 'awaiting_approval' }), 2);
    assert.equal(total(text, 'prpilot_stage_duration_seconds_count', { stage: 'rolling_back' }), 1);
    assert.ok(total(text, 'temporal_workflow_completed', { workflow_type: WORKFLOW_TYPE }) >= 3, 'the SDK counts completed workflows');
    assert.ok(total(text, 'temporal_activity_execution_latency_count') > 0, 'and times activities');
  });

  it('traces each PR as one trace: the client\'s start, the workflow, its activities', async () => {
    const finished = spans.getFinishedSpans();
    const named = (name: string) => finished.filter((span) => span.name === name);
    const clientStarts = named(`StartWorkflow:${WORKFLOW_TYPE}`);
    const runs = named(`RunWorkflow:${WORKFLOW_TYPE}`);
    assert.equal(clientStarts.length, 3, finished.map((span) => span.name).join(', '));
    assert.equal(runs.length, 3);
    for (const start of clientStarts) {
      const trace = finished.filter((span) => span.spanContext().traceId === start.spanContext().traceId);
      const names = new Set(trace.map((span) => span.name));
      for (const name of [`RunWorkflow:${WORKFLOW_TYPE}`, 'StartActivity:prepareChange', 'RunActivity:prepareChange', 'RunActivity:recordDecision', 'RunActivity:notify']) {
        assert.ok(names.has(name), `${name} in the trace of ${String(start.attributes.temporalWorkflowId)}: ${[...names].join(', ')}`);
      }
      const run = trace.find((span) => span.name === `RunWorkflow:${WORKFLOW_TYPE}`) as ReadableSpan;
      assert.equal(run.parentSpanId, start.spanContext().spanId, 'the workflow run is a child of the client\'s start');
      assert.equal(run.resource.attributes['service.name'], 'prpilot-worker');
    }
    const [signal] = named('SignalWorkflow:approve');
    const handled = named('HandleSignal:approve');
    assert.ok(signal, 'the client traced its approve signal');
    assert.equal(handled.length, 1);
    assert.equal(handled[0]?.parentSpanId, signal.spanContext().spanId, 'the workflow handled it in the same trace');
  });

  let traced: Awaited<ReturnType<typeof bundleWorkflowCode>> | undefined;
  const tracedBundle = async () => {
    traced ??= await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS], logger: quietLogger, ...WORKFLOW_BUNDLER_OPTIONS });
    return traced;
  };

  it('replays the traced runs on workers with the interceptors and without them', async () => {
    assert.ok(env);
    for (const key of SCENARIOS) {
      const history = await env.client.workflow.getHandle(`obs-${key}`).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await tracedBundle(), sinks: tracing.worker.sinks }, history, `obs-${key} traced`);
      // A worker restarted with PRPILOT_OTEL off.
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `obs-${key}`);
    }
  });

  it('replays every saved history with the interceptors (a worker restarted with PRPILOT_OTEL=1)', async () => {
    const dir = new URL('../histories/', import.meta.url);
    for (const file of (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()) {
      const history = JSON.parse(await readFile(new URL(file, dir), 'utf8')) as { events: Record<string, unknown>[] };
      await Worker.runReplayHistory({ workflowBundle: await tracedBundle(), sinks: tracing.worker.sinks }, history, file);
    }
  });
});

const quietLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};
