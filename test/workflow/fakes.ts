/**
 * Hand-written fakes of the slow or external activities (model, deploy target) for workflow-logic
 * tests. Decision sealing is the real activity: the audit chain is part of what these tests check.
 */
import { recordDecisionActivity } from '../../activities/audit/recordDecision.js';
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
    async writeIncidentReport() { return { reportSha256: HEX('c'), decision: draft('rolling_back', 'incident report written') }; },
    async startCanary() { return { url: 'http://127.0.0.1:1', startedAtEpochMs: Date.now() }; },
    async canaryStats() { return { canary: healthy, stable: healthy }; },
    async promoteCanary() { /* recorded */ },
    async rollbackCanary() { return { stableHealthy: true }; },
    async stopDeployment() { /* recorded */ },
    async notify() { /* recorded */ },
    recordDecision: recordDecisionActivity(deps),
  };
  const merged = { ...defaults, ...overrides } as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const recorded = Object.fromEntries(Object.entries(merged).map(([name, fn]) => [name, async (...args: unknown[]) => {
    (calls[name] ??= []).push(args);
    return fn(...args);
  }]));
  return { activities: recorded as unknown as Activities, calls };
}

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
    config: prpilotConfigSchema.parse({ service: { name: 'svc', start: ['node', 'server.js'] }, ...overrides.config }),
    configSource: 'test',
  };
}
