/**
 * Configs for the fault cases (`start --config FILE`): the demo service with short windows, so a clean
 * PR goes from review to promotion in well under a minute; sections can be replaced per case.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { prpilotConfigSchema } from '../../../config/schema.js';
import { faultMetrics } from './prometheusStub.js';

export type ConfigInput = z.input<typeof prpilotConfigSchema>;
type Sections = { [K in keyof ConfigInput]?: Partial<NonNullable<ConfigInput[K]>> };

export const FIXTURES = fileURLToPath(new URL('../../fixtures/faults/', import.meta.url));
export const STEP_SCRIPT = path.join(FIXTURES, 'step.sh');
export const TESTS_SCRIPT = path.join(FIXTURES, 'tests.sh');

/** The demo service, staged for 2 s, its canary judged every 3 s for 15 s at 20% of 50 requests a second. */
export function faultConfig(sections: Sections = {}): ConfigInput {
  return {
    service: {
      name: 'demo-service',
      start: ['node', 'server.js'],
      healthPath: '/health',
      smokePaths: ['/health', '/', '/api/orders'],
      trafficPaths: ['/', '/api/orders/1001', '/api/orders/1002', '/api/orders/1003'],
      startTimeoutSeconds: 10,
      ...sections.service,
    },
    tests: { command: null, ...sections.tests },
    staging: { perfWindowSeconds: 2, requestsPerSecond: 40, p99RegressionFloorMs: 150, ...sections.staging },
    canary: { percent: 20, durationSeconds: 15, intervalSeconds: 3, requestsPerSecond: 50, minRequests: 20, ...sections.canary },
    approval: { timeoutSeconds: 3_600, reminderSeconds: 600, ...sections.approval },
    ...(sections.review ? { review: sections.review } : {}),
    ...(sections.deploy ? { deploy: sections.deploy as ConfigInput['deploy'] } : {}),
  };
}

/**
 * The `command` target running test/fixtures/faults/step.sh for every step (it logs each invocation to
 * <faultDir>/calls.jsonl), measured by the Prometheus stub at prometheusUrl.
 */
export function commandTargetSections(faultDir: string, prometheusUrl: string, timeoutSeconds = 30): Sections {
  const step = [STEP_SCRIPT];
  return {
    deploy: {
      target: 'command',
      command: { deployCanary: step, setWeight: step, promote: step, rollback: step, stop: step, timeoutSeconds, env: { FAULT_DIR: faultDir } },
    },
    canary: { percent: 20, durationSeconds: 12, intervalSeconds: 3, minRequests: 20, metrics: faultMetrics(prometheusUrl) },
  };
}

/** Writes the config where `start --config` reads it, after checking it as `start` would. */
export async function writeConfig(dir: string, name: string, config: ConfigInput): Promise<string> {
  prpilotConfigSchema.parse(config);
  const file = path.join(dir, `${name}.config.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
