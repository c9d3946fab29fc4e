import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOfflineAgents } from '../../activities/agents.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { StagingReport } from '../../activities/staging/schema.js';
import { validateStagingActivity } from '../../activities/validation/activity.js';
import { prpilotConfigSchema } from '../../config/schema.js';

const traffic = (p50Ms: number, p99Ms: number) => ({ requests: 500, errors: 0, errorRate: 0, p50Ms, p99Ms });

describe('validation decision record', () => {
  it('carries the calibration factor with the raw and adjusted staging numbers', async () => {
    const config = prpilotConfigSchema.parse({ service: { name: 'svc', start: ['node', 'server.js'] }, staging: { calibrationFactor: 2.5 } });
    const staging: StagingReport = {
      smoke: [], smokePassed: true, windowSeconds: 120, requestsPerSecond: 50, logSha256: null, summary: 'measured',
      measured: traffic(10, 40),
      baseline: { ...traffic(8, 30), service: 'svc', source: 'stored', measuredAt: new Date(0).toISOString(), commit: 'b'.repeat(40) },
    };
    const validate = validateStagingActivity({ agents: createOfflineAgents() } as unknown as ActivityDeps);
    const { decision } = await validate({ staging, config: { staging: config.staging, canary: config.canary } });
    assert.deepEqual(
      Object.fromEntries(['calibrationFactor', 'rawP50Ms', 'rawP99Ms', 'adjustedP50Ms', 'adjustedP99Ms', 'baselineP99Ms', 'baselineAdjustedP99Ms'].map((key) => [key, decision.details?.[key]])),
      { calibrationFactor: 2.5, rawP50Ms: 10, rawP99Ms: 40, adjustedP50Ms: 25, adjustedP99Ms: 100, baselineP99Ms: 30, baselineAdjustedP99Ms: 75 },
    );
  });
});
