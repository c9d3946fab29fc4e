/**
 * prpilot's metrics are read off decision records: these tests feed the records a pipeline seals and
 * check what gets counted and timed. The Prometheus endpoint itself is tested in test/e2e/observability.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineTracker, type Observation } from '../../activities/metrics/pipelineMetrics.js';
import { metricsBindAddress } from '../../workers/metrics.js';
import { tracingEnabled } from '../../workers/telemetry.js';
import { EnvError, readEnv } from '../../config/env.js';
import { decisionRecordSchema, type DecisionRecord } from '../../workflows/records.js';
import type { Gate } from '../../workflows/messages.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const HEX = (c: string) => c.repeat(64);

/** A pipeline's records: each is (stage, decision, seconds after T0, extras). */
function records(workflowId: string, steps: [string, string, number, Partial<DecisionRecord>?][]): DecisionRecord[] {
  return steps.map(([stage, decision, seconds, extra], index) => decisionRecordSchema.parse({
    stage, decision, rationale: '', agent: 'test', agentVersion: '1', model: null, promptSha256: HEX('1'), inputSha256: HEX('2'),
    tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, gates: [], details: {},
    seq: index + 1, workflowId, at: new Date(T0 + seconds * 1000).toISOString(), prevHash: HEX('0'),
    ...extra,
  }));
}

/** Observations summed the way Prometheus would: counters add up, each duration is kept per stage. */
function tally(observations: Observation[]) {
  const counters: Record<string, number> = {};
  const durations: Record<string, number[]> = {};
  const add = (key: string, value: number) => { counters[key] = (counters[key] ?? 0) + value; };
  for (const o of observations) {
    if (o.kind === 'pr') add(`prs{outcome=${o.outcome}}`, 1);
    if (o.kind === 'escalation') add(`escalations{gate=${o.gate}}`, 1);
    if (o.kind === 'rollback') add('rollbacks', 1);
    if (o.kind === 'tokens') add(`tokens{kind=${o.tokenKind}}`, o.count);
    if (o.kind === 'canary_verdict') add(`verdicts{verdict=${o.verdict}}`, o.count);
    if (o.kind === 'stage_duration') (durations[o.stage] ??= []).push(o.seconds);
  }
  return { counters, durations };
}

function feed(tracker: PipelineTracker, all: DecisionRecord[]): ReturnType<typeof tally> {
  return tally(all.flatMap((record) => tracker.observe(record)));
}

const tokens = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({ tokens: { input, output, cacheRead, cacheWrite } });
const gates = (...names: Gate[]) => ({ gates: names });

describe('pipeline metrics from decision records', () => {
  it('counts a deployed PR: outcome, verdicts, tokens, and the time in each stage', () => {
    const tracker = new PipelineTracker();
    tracker.pipelineStarted('wf-clean', T0);
    const { counters, durations } = feed(tracker, records('wf-clean', [
      ['review', 'risk 2/10', 30, tokens(1000, 200, 500, 100)],
      ['tests', 'tests passed', 90, tokens(300, 50)],
      ['staging', 'staging measured', 300],
      ['validation', 'validation passed', 310],
      ['deployment', 'deployment risk LOW', 320],
      ['gates', 'no gate fired: proceed to canary', 320],
      ['canary', 'canary step 1/1 at 5%', 340, { details: { step: 1 } }],
      ['canary', 'canary step 1 (5%) judgement at 300s: pass', 640, { details: { verdict: 'pass', mode: 'interval' } }],
      ['canary', 'canary step 1 (5%) final judgement: pass', 940, { details: { verdict: 'pass', mode: 'final' } }],
      ['promoting', 'canary promoted to 100%', 950],
      ['done', 'outcome: deployed', 951],
    ]));
    assert.deepEqual(counters, {
      'prs{outcome=deployed}': 1, 'verdicts{verdict=pass}': 2,
      'tokens{kind=input}': 1300, 'tokens{kind=output}': 250, 'tokens{kind=cache_read}': 500, 'tokens{kind=cache_write}': 100,
    });
    assert.deepEqual(durations, {
      review: [30], tests: [60], staging: [210], validation: [10], deployment: [10], gates: [0], canary: [620], promoting: [11],
    });
    assert.equal(tracker.tracked, 0, 'a finished pipeline is forgotten');
  });

  it('counts each fired gate, and times an approval that expired as time awaiting approval', () => {
    const tracker = new PipelineTracker();
    tracker.pipelineStarted('wf-risky', T0);
    const { counters, durations } = feed(tracker, records('wf-risky', [
      ['review', 'risk 8/10', 10],
      ['gates', 'human approval required (risk_threshold, schema_change)', 20, gates('risk_threshold', 'schema_change')],
      ['done', 'outcome: expired', 20 + 86_400, gates('risk_threshold', 'schema_change')],
    ]));
    assert.deepEqual(counters, { 'prs{outcome=expired}': 1, 'escalations{gate=risk_threshold}': 1, 'escalations{gate=schema_change}': 1 });
    assert.deepEqual(durations, { review: [10], gates: [10], awaiting_approval: [86_400] });
  });

  it('times an approval wait up to the accepted approval, then the canary', () => {
    const { durations } = feed(new PipelineTracker(), records('wf-approved', [
      ['gates', 'human approval required (secret)', 0, gates('secret')],
      ['awaiting_approval', 'approve by alice ignored', 100],
      ['awaiting_approval', 'approve by carol accepted', 400],
      ['canary', 'canary step 1/1 at 5%', 460],
      ['done', 'outcome: deployed', 470],
    ]));
    // The gates record is the first this tracker saw: its stage had begun elsewhere and is not timed.
    assert.deepEqual(durations, { awaiting_approval: [400], canary: [70] });
  });

  it('counts a rollback once though it writes two records, with the failing verdict', () => {
    const { counters, durations } = feed(new PipelineTracker(), records('wf-bad', [
      ['gates', 'no gate fired: proceed to canary', 0],
      ['canary', 'canary step 1 (5%) judgement at 30s: fail', 40, { details: { verdict: 'fail' } }],
      ['rolling_back', 'canary rolled back at step 1 (5%)', 45],
      ['rolling_back', 'incident report written and sent', 60, tokens(2000, 800)],
      ['done', 'outcome: rolled_back', 61],
    ]));
    assert.equal(counters.rollbacks, 1);
    assert.equal(counters['verdicts{verdict=fail}'], 1);
    assert.equal(counters['prs{outcome=rolled_back}'], 1);
    assert.equal(counters['tokens{kind=output}'], 800);
    assert.deepEqual(durations, { canary: [40], rolling_back: [21] });
  });

  it('counts every verdict of a canary v3 watch from its one record', () => {
    const { counters } = feed(new PipelineTracker(), records('wf-v3', [
      ['canary', 'canary step 1 (5%) passed: 121 judgement(s) (120 pass, 1 inconclusive)', 0, { details: { outcome: 'passed', verdicts: { pass: 120, fail: 0, inconclusive: 1 } } }],
      ['canary', 'canary step 2 (50%) failed: 3 judgement(s) (2 pass, 1 fail)', 10, { details: { outcome: 'failed', verdicts: { pass: 2, fail: 1, inconclusive: 0 } } }],
    ]));
    assert.deepEqual(counters, { 'verdicts{verdict=pass}': 122, 'verdicts{verdict=inconclusive}': 1, 'verdicts{verdict=fail}': 1 });
  });

  it('reads the verdict of a canary that started before the ramp (one record: `canary <verdict>`)', () => {
    const { counters } = feed(new PipelineTracker(), records('wf-v1', [['canary', 'canary inconclusive', 0], ['canary', 'canary pass', 10]]));
    assert.deepEqual(counters, { 'verdicts{verdict=inconclusive}': 1, 'verdicts{verdict=pass}': 1 });
  });

  it('ignores canary records that are not verdicts (steps, pause and resume)', () => {
    const { counters } = feed(new PipelineTracker(), records('wf-pause', [
      ['canary', 'canary step 1/2 at 5%', 0, { details: { step: 1 } }],
      ['canary', 'canary paused by bob', 5, { details: { kind: 'pause', by: 'bob' } }],
    ]));
    assert.deepEqual(counters, {});
  });

  it('labels an unknown stage `other` and counts nothing for a done record without a known outcome', () => {
    const tracker = new PipelineTracker();
    tracker.pipelineStarted('wf-odd', T0);
    const { counters, durations } = feed(tracker, records('wf-odd', [['made_up_stage', 'x', 5], ['done', 'finished somehow', 6]]));
    assert.deepEqual(counters, {});
    assert.deepEqual(durations, { other: [6] });
  });

  it('keeps pipelines apart and bounds how many it times at once', () => {
    const tracker = new PipelineTracker(2);
    for (const id of ['a', 'b', 'c']) tracker.pipelineStarted(id, T0);
    assert.equal(tracker.tracked, 2, 'the oldest pipeline was forgotten');
    const [a] = records('a', [['review', 'risk 1/10', 10]]);
    const [c] = records('c', [['review', 'risk 1/10', 20]]);
    const [cTests] = records('c', [['tests', 'tests passed', 50]]);
    assert.deepEqual(tracker.observe(c!), []);
    assert.deepEqual(tracker.observe(a!), [], 'a was forgotten: its review restarts untimed');
    assert.deepEqual(tally(tracker.observe(cTests!)).durations, { review: [20] }, 'c kept its own start');
  });

  it('does not restart a pipeline that is already timed (a revision restarts prepareChange)', () => {
    const tracker = new PipelineTracker();
    tracker.pipelineStarted('wf-rev', T0);
    tracker.observe(records('wf-rev', [['review', 'risk 2/10', 10]])[0]!);
    tracker.pipelineStarted('wf-rev', T0 + 500_000);
    const [tests] = records('wf-rev', [['tests', 'tests passed', 40]]);
    assert.deepEqual(tally(tracker.observe(tests!)).durations, { review: [10] });
  });
});

describe('observability settings', () => {
  it('binds a bare metrics port on every interface, host:port as given', () => {
    assert.equal(metricsBindAddress('9464'), '0.0.0.0:9464');
    assert.equal(metricsBindAddress('127.0.0.1:9464'), '127.0.0.1:9464');
  });

  it('rejects a metrics port that is not a port, naming the variable', () => {
    for (const bad of ['abc', '70000', '0', 'host:', ':9464']) {
      assert.throws(() => readEnv({ PRPILOT_METRICS_PORT: bad }), (error: unknown) => error instanceof EnvError && /PRPILOT_METRICS_PORT/.test(error.message), bad);
    }
    assert.equal(readEnv({ PRPILOT_METRICS_PORT: 'localhost:9464' }).PRPILOT_METRICS_PORT, 'localhost:9464');
  });

  it('traces only when PRPILOT_OTEL is 1 or true', () => {
    assert.equal(tracingEnabled(readEnv({})), false);
    assert.equal(tracingEnabled(readEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })), false);
    assert.equal(tracingEnabled(readEnv({ PRPILOT_OTEL: '1' })), true);
    assert.equal(tracingEnabled(readEnv({ PRPILOT_OTEL: 'true' })), true);
    assert.equal(readEnv({ PRPILOT_OTEL: '1' }).PRPILOT_OTEL_EXPORTER, 'otlp');
    assert.throws(() => readEnv({ PRPILOT_OTEL_EXPORTER: 'jaeger' }), EnvError);
  });
});
