/**
 * Hand-written fakes of the slow or external activities (model, deploy target) for workflow-logic
 * tests. Decision sealing is the real activity: the audit chain is part of what these tests check.
 */
import { recordDecisionActivity, recordDecisionsActivity } from '../../activities/audit/recordDecision.js';
import { verdictLogOf, type IntervalVerdict, type WatchResult } from '../../workflows/canaryVerdicts.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { Activities } from '../../activities/index.js';
import type { ReviewOutput } from '../../activities/review/schema.js';
import type { TrafficSummary } from '../../activities/staging/schema.js';
import { prpilotConfigSchema } from '../../config/schema.js';
import type { PrInput } from '../../workflows/input.js';
import type { DecisionDraft } from '../../workflows/records.js';

const HEX = (c: string) => c.repeat(64);

export function draft(stage: string, decision: string, gates: DecisionDraft['gates'] = []): DecisionDraft {
  return {
    stage, decision, rationale: `fake ${stage}`, agent: `fake-${stage}`, agentVersion: 'test', model: null,
    promptSha256: HEX('1'), inputSha256: HEX('2'), tokens: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 }, gates, details: {},
  };
}

export const cleanReview: ReviewOutput = {
  riskScore: 2, securityIssues: [], performanceConcerns: [], coverageGaps: [], apiBreakingChanges: [],
  rationale: 'small change', confidence: 'high', suggestedGates: [],
};

export const healthy: TrafficSummary = { requests: 200, errors: 0, errorRate: 0, p50Ms: 5, p99Ms: 40 };
export const failing: TrafficSummary = { requests: 200, errors: 40, errorRate: 0.2, p50Ms: 5, p99Ms: 40 };
export const noFindings = { schemaChange: [], newIntegration: [], secret: [], apiBreaking: [] };

export type Calls = Record<string, unknown[][]>;

export const STEP_REPORT = { outputSha256: null, alreadyDone: false };

const brief = (traffic: TrafficSummary) => ({ requests: traffic.requests, errors: traffic.errors, p50Ms: traffic.p50Ms, p99Ms: traffic.p99Ms });

export function intervalVerdict(verdict: IntervalVerdict['verdict'], canary: TrafficSummary = healthy, mode: IntervalVerdict['mode'] = 'interval'): IntervalVerdict {
  return {
    atEpochMs: Date.now(), elapsedSeconds: 10, mode, verdict,
    reasons: [verdict === 'fail' ? `canary error rate ${(canary.errorRate * 100).toFixed(1)}% > limit 0.5%` : `canary ${verdict}`],
    canary: brief(canary), stable: brief(healthy),
    checks: [{ name: 'error_rate_limit', result: verdict, numbers: { requests: canary.requests, errors: canary.errors } }],
  };
}

/** A step watched to its end: one interval judgement and the final one, both passing. */
export function passedWatch(): WatchResult {
  return { outcome: 'passed', reasons: ['within limits'], endedEarly: false, intervals: [intervalVerdict('pass'), intervalVerdict('pass', healthy, 'final')], inconclusiveSinceEpochMs: null, source: 'proxy' };
}

export function heldWatch(): WatchResult {
  return { outcome: 'held', reasons: ['within limits'], endedEarly: false, intervals: [intervalVerdict('pass')], inconclusiveSinceEpochMs: null, source: 'proxy' };
}

/** What the real watch returns when asked for a verdict log (canary v3), with a made-up artifact hash. */
export function withVerdictLog(watch: WatchResult): WatchResult {
  return { ...watch, ...verdictLogOf(watch.intervals, HEX('d')) };
}

/** A step that failed at its first judgement (an early abort). */
export function failedWatch(canary: TrafficSummary = failing): WatchResult {
  const interval = intervalVerdict('fail', canary);
  return { outcome: 'failed', reasons: interval.reasons, endedEarly: true, intervals: [interval], inconclusiveSinceEpochMs: null, source: 'proxy' };
}

/** Every activity with a healthy default; `overrides` replace single ones. `calls` records every call. */
export function fakeActivities(overrides: Partial<Activities> = {}): { activities: Activities; calls: Calls } {
  const calls: Calls = {};
  const deps = { policySha256: HEX('3'), now: () => new Date() } as unknown as ActivityDeps;
  const defaults: Activities = {
    async prepareChange() {
      return {
        diffSha256: HEX('a'), stats: { files: 1, binaryFiles: 0, additions: 3, deletions: 1, bytes: 120 },
        findings: noFindings, heuristic: { score: 2, factors: [] }, paths: ['src/app.js'],
      };
    },
    async reviewChange() { return { review: cleanReview, decision: draft('review', 'risk 2/10') }; },
    async runTests() {
      return {
        report: { ran: true, passed: true, exitCode: 0, timedOut: false, durationMs: 10, logSha256: null, coverage: null, diffCoverage: null, generatedTests: [], patchSha256: null, summary: 'passed' },
        decision: draft('tests', 'tests passed'),
      };
    },
    async deployStaging() {
      return {
        report: {
          smoke: [{ path: '/health', status: 200, ok: true, ms: 2 }], smokePassed: true, windowSeconds: 120, requestsPerSecond: 50,
          measured: healthy, baseline: { ...healthy, service: 'svc', source: 'stored', measuredAt: new Date(0).toISOString(), commit: HEX('b').slice(0, 40) },
          logSha256: null, summary: 'staging fine',
        },
        decision: draft('staging', 'staging measured'),
      };
    },
    async validateStaging() {
      return {
        report: { passed: true, calibrationFactor: 1, adjusted: null, baselineAdjusted: null, p99RegressionPercent: 0, checks: [], summary: 'ok' },
        decision: draft('validation', 'validation passed'),
      };
    },
    async assessDeploymentRisk() {
      return { risk: { level: 'LOW', rationale: 'clean', factors: [] }, decision: draft('deployment', 'deployment risk LOW') };
    },
    async writeIncidentReport() { return { reportSha256: HEX('c'), title: 'Canary rolled back', decision: draft('rolling_back', 'incident report written') }; },
    async startCanary() { return { url: 'http://127.0.0.1:1', startedAtEpochMs: Date.now(), report: STEP_REPORT }; },
    async canaryStats() { return { canary: healthy, stable: healthy }; },
    async setCanaryWeight() { return { changedAtEpochMs: Date.now(), report: STEP_REPORT }; },
    async watchCanary(input: { mode: 'step' | 'hold'; verdictLog?: boolean }) {
      const watch = input.mode === 'step' ? passedWatch() : heldWatch();
      return input.verdictLog ? withVerdictLog(watch) : watch;
    },
    async promoteCanary() { return STEP_REPORT; },
    async rollbackCanary() { return { ...STEP_REPORT, stableHealthy: true }; },
    async stopDeployment() { /* recorded */ },
    async notify() { /* recorded */ },
    async publishToGitHub() { return { skipped: 'fake', status: null, comment: null }; },
    recordDecision: recordDecisionActivity(deps),
    recordDecisions: recordDecisionsActivity(deps),
  };
  const merged = { ...defaults, ...overrides } as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const recorded = Object.fromEntries(Object.entries(merged).map(([name, fn]) => [name, async (...args: unknown[]) => {
    (calls[name] ??= []).push(args);
    return fn(...args);
  }]));
  return { activities: recorded as unknown as Activities, calls };
}

let services = 0;

/**
 * A PR of its own service unless the config names one: each service has one deploy lock, a workflow
 * on the task queue of the test that first used it, and tests must not wait on each other's locks.
 */
export function prInput(overrides: { config?: Record<string, unknown>; author?: string } = {}): PrInput {
  return {
    repo: { kind: 'local', path: '/nonexistent/repo', name: 'repo' },
    prNumber: 7,
    baseRef: 'main',
    headRef: 'feature',
    baseSha: HEX('b').slice(0, 40),
    headSha: HEX('d').slice(0, 40),
    title: 'A change',
    author: overrides.author ?? 'alice',
    description: '',
    config: prpilotConfigSchema.parse({ service: { name: `svc-${process.pid}-${++services}`, start: ['node', 'server.js'] }, ...overrides.config }),
    configSource: 'test',
  };
}
