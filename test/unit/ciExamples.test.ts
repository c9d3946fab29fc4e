/**
 * The CI examples: the GitHub Actions files parse and never put a `${{ }}` expression inside a shell
 * script (the classic injection through a PR title), and examples/ci/prpilot-start.sh hands prpilot
 * exactly the arguments it should, with hostile titles arriving verbatim, and maps exit codes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../config/paths.js';

const script = path.join(PROJECT_ROOT, 'examples', 'ci', 'prpilot-start.sh');
const yamlFiles = ['prpilot.yml', 'pull-request.yml', 'prpilot-start/action.yml'].map((file) => path.join(PROJECT_ROOT, 'examples', 'github-actions', file));
const dir = mkdtempSync(path.join(tmpdir(), 'prpilot-ci-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** PyYAML when the machine has it (the repo adds no YAML dependency); null when it does not. */
function yamlToJson(file: string): unknown {
  const result = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    if (/No module named '?yaml/.test(result.stderr ?? '') || result.error) return null;
    throw new Error(`${file} is not valid YAML:\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as unknown;
}
const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

type Step = { uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> };

function stepsOf(document: unknown): Step[] {
  const doc = document as { runs?: { steps?: Step[] }; jobs?: Record<string, { steps?: Step[] }> };
  return [...(doc.runs?.steps ?? []), ...Object.values(doc.jobs ?? {}).flatMap((job) => job.steps ?? [])];
}

describe('GitHub Actions examples', { skip: hasPyYaml ? false : 'PyYAML is not installed (pip install pyyaml): YAML not checked' }, () => {
  for (const file of yamlFiles) {
    it(`${path.relative(PROJECT_ROOT, file)} parses and keeps expressions out of shell scripts`, () => {
      const document = yamlToJson(file);
      assert.ok(document && typeof document === 'object', 'a mapping at the top');
      for (const step of stepsOf(document)) {
        if (step.run !== undefined) assert.ok(!step.run.includes('${{'), `an expression inside run: ${step.run}`);
      }
    });
  }

  it('the reusable workflow is callable with a required TEMPORAL_ADDRESS secret', () => {
    type Triggers = { workflow_call: { inputs: Record<string, { type: string }>; secrets: Record<string, { required: boolean }> } };
    // YAML 1.1 (PyYAML) reads the key `on` as the boolean true; GitHub reads it as "on".
    const workflow = yamlToJson(yamlFiles[0] ?? '') as { on?: Triggers; true?: Triggers };
    const call = (workflow.on ?? workflow.true)?.workflow_call;
    assert.ok(call, 'on: workflow_call');
    assert.equal(call.inputs.wait?.type, 'boolean');
    assert.equal(call.secrets.TEMPORAL_ADDRESS?.required, true);
    assert.equal(call.secrets.TEMPORAL_API_KEY?.required, false);
  });

  it('the composite action passes every PR value to the script through env', () => {
    const action = yamlToJson(yamlFiles[2] ?? '') as { runs: { using: string; steps: Step[] } };
    assert.equal(action.runs.using, 'composite');
    const start = action.runs.steps.find((step) => step.env?.PRPILOT_TITLE !== undefined);
    assert.ok(start, 'a step with PRPILOT_TITLE in its env');
    assert.deepEqual(
      { repo: start.env?.PRPILOT_REPO, base: start.env?.PRPILOT_BASE, head: start.env?.PRPILOT_HEAD, pr: start.env?.PRPILOT_PR, title: start.env?.PRPILOT_TITLE, author: start.env?.PRPILOT_AUTHOR, wait: start.env?.PRPILOT_WAIT },
      { repo: '${{ inputs.repo }}', base: '${{ inputs.base }}', head: '${{ inputs.head }}', pr: '${{ inputs.pr }}', title: '${{ inputs.title }}', author: '${{ inputs.author }}', wait: '${{ inputs.wait }}' },
    );
    assert.equal(start.run, 'bash "$PRPILOT_START_SCRIPT"');
  });
});

describe('examples/ci/prpilot-start.sh', () => {
  it('is valid bash (bash -n)', () => {
    execFileSync('bash', ['-n', script]);
  });

  /** A fake prpilot that records its argv (NUL-separated) and exits with $FAKE_EXIT. */
  const fakeBin = path.join(dir, 'bin');
  const argvFile = path.join(dir, 'argv');
  mkdirSync(fakeBin, { recursive: true });
  writeFileSync(path.join(fakeBin, 'prpilot'), [
    '#!/usr/bin/env bash',
    'printf "%s\\0" "$@" > "$FAKE_ARGV"',
    'echo "progress goes to stderr" >&2',
    'echo \'{"workflowId":"pr-acme-orders-42","runId":"r1","url":"http://ui.example/w/pr-acme-orders-42"}\'',
    'exit "${FAKE_EXIT:-0}"',
  ].join('\n'));
  chmodSync(path.join(fakeBin, 'prpilot'), 0o755);

  // Only what the script needs: no CI variables of the machine running the tests leak in.
  let runs = 0;
  function run(env: Record<string, string>, exitCode = 0) {
    rmSync(argvFile, { force: true });
    const outputFile = path.join(dir, `output-${++runs}`);
    const result = spawnSync('bash', [script], {
      encoding: 'utf8',
      env: { PATH: `${fakeBin}:${process.env.PATH ?? ''}`, HOME: dir, FAKE_ARGV: argvFile, FAKE_EXIT: String(exitCode), PRPILOT_OUTPUT_FILE: outputFile, ...env },
    });
    const argv = existsSync(argvFile) ? readFileSync(argvFile, 'utf8').split('\0').slice(0, -1) : null;
    const outputs = existsSync(outputFile)
      ? Object.fromEntries(readFileSync(outputFile, 'utf8').trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
      : {};
    return { status: result.status, stderr: result.stderr, argv, outputs };
  }

  const pwned = path.join(dir, 'pwned');
  const hostileTitle = `Fix "quoted" 'single' $(touch ${pwned}) \`touch ${pwned}\` $HOME; echo done && exit 7 \\n`;
  const base = { TEMPORAL_ADDRESS: 'temporal.internal:7233', PRPILOT_REPO: 'acme/orders', PRPILOT_BASE: 'a'.repeat(40), PRPILOT_HEAD: 'b'.repeat(40) };

  it('passes the PR to prpilot start, a hostile title verbatim and never run', () => {
    const { status, argv, outputs } = run({ ...base, PRPILOT_PR: '42', PRPILOT_TITLE: hostileTitle, PRPILOT_AUTHOR: 'alice' });
    assert.equal(status, 0);
    assert.deepEqual(argv, ['start', '--repo', 'acme/orders', '--base', 'a'.repeat(40), '--head', 'b'.repeat(40), '--pr', '42', '--title', hostileTitle, '--author', 'alice', '--json']);
    assert.equal(existsSync(pwned), false, 'nothing in the title ran');
    assert.deepEqual(outputs, { outcome: 'started', 'exit-code': '0', 'workflow-id': 'pr-acme-orders-42', url: 'http://ui.example/w/pr-acme-orders-42' });
  });

  it('adds --wait --until-blocked with PRPILOT_WAIT=true, and a deployed run passes', () => {
    const { status, argv, outputs } = run({ ...base, PRPILOT_WAIT: 'true' });
    assert.equal(status, 0);
    assert.deepEqual(argv?.slice(-3), ['--wait', '--until-blocked', '--json']);
    assert.equal(outputs.outcome, 'deployed');
  });

  it('follows to the very end with PRPILOT_UNTIL_BLOCKED=false', () => {
    const { argv } = run({ ...base, PRPILOT_WAIT: 'true', PRPILOT_UNTIL_BLOCKED: 'false', PRPILOT_CONFIG: 'ci/prpilot.json' });
    assert.deepEqual(argv?.slice(-4), ['--config', 'ci/prpilot.json', '--wait', '--json']);
  });

  it('passes while the run awaits approval, unless told to fail', () => {
    const waiting = run({ ...base, PRPILOT_WAIT: 'true' }, 3);
    assert.equal(waiting.status, 0);
    assert.equal(waiting.outputs.outcome, 'awaiting_approval');
    assert.match(waiting.stderr, /a human must approve: prpilot approve pr-acme-orders-42 --by <you>/);
    const strict = run({ ...base, PRPILOT_WAIT: 'true', PRPILOT_FAIL_ON_AWAITING_APPROVAL: 'true' }, 3);
    assert.equal(strict.status, 3);
  });

  for (const [code, outcome] of [[10, 'rolled_back'], [11, 'rejected'], [12, 'expired'], [13, 'failed'], [1, 'error'], [2, 'usage_error']] as const) {
    it(`fails the job with exit ${code} when the outcome is ${outcome}`, () => {
      const { status, outputs } = run({ ...base, PRPILOT_WAIT: 'true' }, code);
      assert.equal(status, code);
      assert.equal(outputs.outcome, outcome);
      assert.equal(outputs['exit-code'], String(code));
    });
  }

  it('says which variable is missing, and starts nothing', () => {
    const noBase = run({ TEMPORAL_ADDRESS: 'x:7233', PRPILOT_REPO: 'acme/orders', PRPILOT_HEAD: 'b'.repeat(40) });
    assert.equal(noBase.status, 2);
    assert.match(noBase.stderr, /PRPILOT_BASE is not set: set it to the PR's base commit/);
    assert.equal(noBase.argv, null);
    const noTemporal = run({ PRPILOT_REPO: 'acme/orders', PRPILOT_BASE: 'main', PRPILOT_HEAD: 'feature' });
    assert.equal(noTemporal.status, 2);
    assert.match(noTemporal.stderr, /TEMPORAL_ADDRESS is not set/);
    const badPr = run({ ...base, PRPILOT_PR: '42; rm -rf /' });
    assert.equal(badPr.status, 2);
    assert.match(badPr.stderr, /PRPILOT_PR must be a PR number \(got '42; rm -rf \/'\)/);
    assert.equal(badPr.argv, null);
  });

  it('reads a GitLab merge request pipeline', () => {
    const { argv } = run({
      TEMPORAL_ADDRESS: 'x:7233', GITLAB_CI: 'true', CI_PROJECT_DIR: '/builds/acme/orders', CI_MERGE_REQUEST_DIFF_BASE_SHA: 'c'.repeat(40),
      CI_COMMIT_SHA: 'd'.repeat(40), CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_TITLE: hostileTitle, GITLAB_USER_LOGIN: 'bob',
    });
    assert.deepEqual(argv, ['start', '--repo', '/builds/acme/orders', '--base', 'c'.repeat(40), '--head', 'd'.repeat(40), '--pr', '7', '--title', hostileTitle, '--author', 'bob', '--json']);
    assert.equal(existsSync(pwned), false);
  });

  it('says when a GitLab pipeline is not a merge request pipeline', () => {
    const { status, stderr } = run({ TEMPORAL_ADDRESS: 'x:7233', GITLAB_CI: 'true', CI_PROJECT_DIR: '/builds/acme/orders', CI_COMMIT_SHA: 'd'.repeat(40) });
    assert.equal(status, 2);
    assert.match(stderr, /PRPILOT_BASE is not set and this gitlab build does not provide it/);
  });

  it('reads Jenkins and Buildkite pull request builds', () => {
    const jenkins = run({ TEMPORAL_ADDRESS: 'x:7233', JENKINS_URL: 'http://jenkins', WORKSPACE: '/ws/orders', CHANGE_TARGET: 'main', GIT_COMMIT: 'e'.repeat(40), CHANGE_ID: '9', CHANGE_TITLE: 'Add cache', CHANGE_AUTHOR: 'carol' });
    assert.deepEqual(jenkins.argv, ['start', '--repo', '/ws/orders', '--base', 'origin/main', '--head', 'e'.repeat(40), '--pr', '9', '--title', 'Add cache', '--author', 'carol', '--json']);
    const buildkite = run({ TEMPORAL_ADDRESS: 'x:7233', BUILDKITE: 'true', BUILDKITE_BUILD_CHECKOUT_PATH: '/bk/orders', BUILDKITE_PULL_REQUEST_BASE_BRANCH: 'main', BUILDKITE_COMMIT: 'f'.repeat(40), BUILDKITE_PULL_REQUEST: '11', BUILDKITE_BUILD_AUTHOR: 'dave' });
    assert.deepEqual(buildkite.argv, ['start', '--repo', '/bk/orders', '--base', 'origin/main', '--head', 'f'.repeat(40), '--pr', '11', '--author', 'dave', '--json']);
    const notPr = run({ TEMPORAL_ADDRESS: 'x:7233', BUILDKITE: 'true', BUILDKITE_BUILD_CHECKOUT_PATH: '/bk/orders', BUILDKITE_COMMIT: 'f'.repeat(40), BUILDKITE_PULL_REQUEST: 'false' });
    assert.equal(notPr.status, 2);
  });
});
