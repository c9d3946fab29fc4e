/**
 * Bad configuration (test/fixtures/bad-input/config/*.json, and a bad config at the PR's base commit)
 * given to the real `prpilot start`: each is exit 2 with one line naming the field, the value and the
 * file, and no workflow is started.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { itRefusesEach, type RefusalCase } from './lib/cases.js';
import { literal } from './lib/refusal.js';
import { createRepo, SERVICE_CONFIG, type FixtureRepo } from './lib/repo.js';
import { startWorld, type World } from './lib/world.js';

const CONFIGS = fileURLToPath(new URL('../fixtures/bad-input/config/', import.meta.url));

/** [fixture file, the message after `prpilot start: config: `; FILE stands for the fixture's path] */
const BAD_CONFIGS: [string, string][] = [
  ['not-json', String.raw`FILE is not valid JSON: Expected double-quoted property name in JSON at position \d+.*`],
  ['negative-risk-threshold', String.raw`review\.riskThreshold: must be at least 1 \(got -1\) in FILE`],
  ['negative-error-rate', String.raw`canary\.maxErrorRate: must be at least 0 \(got -0\.1\) in FILE`],
  ['negative-p99', String.raw`canary\.maxP99Ms: must be greater than 0 \(got -5\) in FILE`],
  ['negative-perf-window', String.raw`staging\.perfWindowSeconds: must be at least 1 \(got -1\) in FILE`],
  ['percent-over-100', String.raw`canary\.percent: must be at most 100 \(got 150\) in FILE`],
  ['error-rate-over-100-percent', String.raw`staging\.maxErrorRate: must be at most 1 \(got 5\) in FILE`],
  ['regression-percent-over-limit', String.raw`staging\.maxP99RegressionPercent: must be at most 1000 \(got 5000\) in FILE`],
  ['step-percent-0', String.raw`canary\.steps\.0\.percent: must be at least 1 \(got 0\) in FILE`],
  ['step-percent-over-100', String.raw`canary\.steps\.1\.percent: must be at most 100 \(got 101\) in FILE`],
  ['interval-longer-than-step', String.raw`canary\.intervalSeconds: must not be longer than any canary step \(canary\.durationSeconds or canary\.steps\[\]\.durationSeconds\) \(got 60\) in FILE`],
  ['interval-longer-than-ramp-step', String.raw`canary\.intervalSeconds: must not be longer than any canary step \(canary\.durationSeconds or canary\.steps\[\]\.durationSeconds\) \(got 60\) in FILE`],
  ['unknown-deploy-target', String.raw`deploy\.target: must be one of "local", "command" \(got "k8s"\) in FILE`],
  ['command-target-without-prometheus', String.raw`canary\.metrics\.source: the command deploy target has no local proxy to measure: set canary\.metrics\.source to 'prometheus' in FILE`],
  ['command-script-outside-checkout', String.raw`deploy\.command\.deployCanary: a relative program path must stay inside the checkout \(no "\.\." segments\) \(got \["\.\./\.\./\.\./usr/local/bin/evil\.sh"\]\) in FILE`],
  ['unknown-field-root', String.raw`\(root\): unknown field\(s\) "canray" in FILE`],
  ['unknown-field-nested', String.raw`canary: unknown field\(s\) "precent" in FILE`],
  ['unknown-field-in-step', String.raw`canary\.steps\.0: unknown field\(s\) "weight" in FILE`],
  ['wrong-type', String.raw`staging\.perfWindowSeconds: must be a number \(got "120"\) in FILE`],
  ['missing-service', String.raw`service: is required in FILE`],
  ['empty-start-command', String.raw`service\.start: must have at least 1 item\(s\) \(got \[\]\) in FILE`],
  ['too-many-reminders', String.raw`approval\.reminderSeconds: must be at least approval\.timeoutSeconds / 200 \(each reminder adds to the run's history\) \(got 60\) in FILE`],
  ['array-instead-of-object', String.raw`\(root\): must be an object \(got \[\]\) in FILE`],
];

describe('bad configuration', { timeout: 900_000 }, () => {
  let world: World;
  let repo: FixtureRepo;
  let brokenAtBase: FixtureRepo;
  let withoutConfig: FixtureRepo;
  const start = (target: FixtureRepo, ...args: string[]) =>
    runCli(['start', '--repo', target.path, '--base', 'main', '--head', 'good', '--pr', '7', ...args], world.env);

  before(async () => {
    world = await startWorld('config');
    repo = await createRepo(world.dir);
    await repo.branch('good', { 'app.js': 'export const answer = 2;\n' });
    // The base commit's config is broken; the PR "fixes" it in its head, which must not count.
    brokenAtBase = await createRepo(world.dir, 'broken', {
      'prpilot.config.json': JSON.stringify({ ...SERVICE_CONFIG, canary: { percent: 0 } }),
      'app.js': 'export const answer = 1;\n',
    });
    await brokenAtBase.branch('good', { 'prpilot.config.json': JSON.stringify(SERVICE_CONFIG), 'app.js': 'export const answer = 2;\n' });
    withoutConfig = await createRepo(world.dir, 'bare', { 'app.js': 'export const answer = 1;\n' });
    await withoutConfig.branch('good', { 'app.js': 'export const answer = 2;\n' });
  });
  after(async () => world?.stop());

  const cases: RefusalCase[] = BAD_CONFIGS.map(([name, message]) => {
    const file = path.join(CONFIGS, `${name}.json`);
    return {
      name: `--config ${name}.json`,
      run: () => start(repo, '--config', file),
      code: 2,
      message: new RegExp(`^prpilot start: config: ${message.replace('FILE', literal(file))}$`, 'm'),
    };
  });
  cases.push(
    {
      name: '--config file that does not exist',
      run: () => start(repo, '--config', path.join(CONFIGS, 'no-such.json')),
      code: 2,
      message: new RegExp(`^prpilot start: config: cannot read ${literal(path.join(CONFIGS, 'no-such.json'))}: no such file$`, 'm'),
    },
    {
      name: 'invalid config at the base commit (the head fixing it does not count)',
      run: () => start(brokenAtBase),
      code: 2,
      message: /^prpilot start: config: canary\.percent: must be at least 1 \(got 0\) in prpilot\.config\.json at base [0-9a-f]{12}$/m,
    },
    {
      name: 'no config at the base commit',
      run: () => start(withoutConfig),
      code: 2,
      message: () => new RegExp(`^prpilot start: config: ${literal(withoutConfig.path)} has no prpilot\\.config\\.json at its base commit [0-9a-f]{12}; commit one or pass --config FILE$`, 'm'),
    },
  );
  // Each case is its own CLI process and touches nothing the others read: run a few at a time.
  describe('each refused', { concurrency: 3 }, () => {
    itRefusesEach(cases, async () => assert.deepEqual(await world.workflowIds(), [], 'no workflow was started'));
  });

  it('started nothing, as `prpilot list --json` shows', async () => {
    await world.assertListed([]);
  });
});
