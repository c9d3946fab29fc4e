/**
 * Bad input to the real CLI: each case is a clear message and exit code 2 (usage/config) or 1, and
 * nothing is started (visibility stays empty on the dev server the CLI points at).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startTestDevServer } from '../helpers/temporal.js';

const CONFIG = { service: { name: 'svc', start: ['node', 'server.js'] } };

describe('bad input to the CLI', { timeout: 300_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestDevServer>>;
  let dir: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const commits: Record<string, string> = {};

  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
  const commit = async (name: string, files: Record<string, string | Buffer>, allowEmpty = false) => {
    for (const [file, content] of Object.entries(files)) await writeFile(path.join(repo, file), content);
    git('add', '--all');
    git('commit', '--quiet', '-m', name, ...(allowEmpty ? ['--allow-empty'] : []));
    commits[name] = git('rev-parse', 'HEAD');
  };

  before(async () => {
    server = await startTestDevServer();
    dir = await mkdtemp(path.join(tmpdir(), 'prpilot-bad-input-'));
    env = { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: path.join(dir, 'home'), PRPILOT_LLM: 'offline' };
    repo = path.join(dir, 'repo');
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', repo]);
    await commit('base', { 'prpilot.config.json': JSON.stringify(CONFIG), 'app.js': 'export const a = 1;\n' });
    await commit('empty', {}, true);
    await commit('binary', { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00, 0xff]) });
    git('checkout', '--quiet', '-b', 'latin1', commits.base!);
    await commit('latin1', { 'notes.txt': Buffer.from('caf\xe9 cr\xe8me\n', 'latin1') });
    git('checkout', '--quiet', '-b', 'good', 'main');
    await commit('good', { 'app.js': 'export const a = 2;\n' });
    git('checkout', '--quiet', 'main');
    await writeFile(path.join(dir, 'bad.diff'), Buffer.from('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-caf\xe9\n+th\xe9\n', 'latin1'));
    await writeFile(path.join(dir, 'empty.diff'), '');
  });
  after(async () => {
    await server?.stop();
    await rm(server?.dir ?? '', { recursive: true, force: true });
    await rm(dir ?? '', { recursive: true, force: true });
  });

  const start = (...args: string[]) => runCli(['start', ...args], env);
  const cases: [string, () => Promise<{ code: number | null; stderr: string }>, number, RegExp][] = [
    ['unknown command', () => runCli(['deploy-now'], env), 2, /unknown command "deploy-now"/],
    ['unknown flag', () => start('--repo', '.', '--frobnicate'), 2, /Unknown option '--frobnicate'/],
    ['missing --repo', () => start('--base', 'main', '--head', 'main'), 2, /--repo is required/],
    ['missing repo directory', () => start('--repo', '/nonexistent/repo', '--base', 'a', '--head', 'b'), 2, /--repo \/nonexistent\/repo: no such directory/],
    ['not a git repository', () => start('--repo', tmpdir(), '--base', 'a', '--head', 'b'), 2, /not a git repository/],
    ['unknown ref', () => start('--repo', repo, '--base', 'main', '--head', 'no-such-branch'), 2, /--head no-such-branch: unknown git ref "no-such-branch"/],
    ['base equals head', () => start('--repo', repo, '--base', 'main', '--head', 'main'), 2, /are the same commit/],
    ['empty diff', () => start('--repo', repo, '--base', commits.base!, '--head', commits.empty!), 2, /is empty: there is no change to review/],
    ['binary-only diff', () => start('--repo', repo, '--base', commits.empty!, '--head', commits.binary!), 2, /changes binary files only/],
    ['non-UTF-8 diff', () => start('--repo', repo, '--base', 'main~2', '--head', 'latin1'), 2, /is not valid UTF-8/],
    ['bad --pr', () => start('--repo', repo, '--base', 'main~2', '--head', 'latin1', '--pr', '12abc'), 2, /--pr must be a positive whole number \(got "12abc"\)/],
    ['empty --author', () => start('--repo', repo, '--base', 'main', '--head', 'good', '--author', ' '), 2, /--author must not be empty/],
    ['--until-blocked without --wait', () => start('--repo', repo, '--base', 'a', '--head', 'b', '--until-blocked'), 2, /--until-blocked goes with --wait/],
    ['review: both sources', () => runCli(['review', '--diff', 'x', '--repo', '.'], env), 2, /either --repo\/--base\/--head or --diff/],
    ['review: missing diff file', () => runCli(['review', '--diff', path.join(tmpdir(), 'none.diff')], env), 2, /no such file/],
    ['review: empty diff file', () => runCli(['review', '--diff', path.join(dir, 'empty.diff')], env), 2, /is empty/],
    ['review: non-UTF-8 diff file', () => runCli(['review', '--diff', path.join(dir, 'bad.diff')], env), 2, /is not valid UTF-8/],
    ['status of an unknown workflow', () => runCli(['status', 'pr-local-nothing-1'], env), 1, /no workflow with id "pr-local-nothing-1"/],
    ['audit of an unknown workflow', () => runCli(['audit', 'pr-local-nothing-1'], env), 1, /no workflow with id "pr-local-nothing-1"/],
    ['approve an unknown workflow', () => runCli(['approve', 'pr-local-nothing-1', '--by', 'carol'], env), 1, /no workflow with id "pr-local-nothing-1"/],
    ['approve without --by', () => runCli(['approve', 'pr-local-nothing-1'], env), 2, /--by USER is required/],
    ['reject without --reason', () => runCli(['reject', 'pr-local-nothing-1', '--by', 'carol'], env), 2, /--reason is required to reject/],
    ['audit with a bad format', () => runCli(['audit', 'x', '--format', 'pdf'], env), 2, /--format must be json or md \(got "pdf"\)/],
    ['unreachable server', () => runCli(['status', 'x'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }), 1, /cannot reach Temporal at 127\.0\.0\.1:1/],
  ];
  for (const [name, run, code, message] of cases) {
    it(name, async () => {
      const result = await run();
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace for user errors');
    });
  }

  const badConfigs: [string, unknown, RegExp][] = [
    ['not JSON', '{', /is not valid JSON/],
    ['number out of range', { ...CONFIG, canary: { percent: 150 } }, /canary\.percent: must be at most 100 \(got 150\) in .*bad\.json/],
    ['negative threshold', { ...CONFIG, canary: { maxErrorRate: -0.1 } }, /canary\.maxErrorRate: must be at least 0 \(got -0\.1\)/],
    ['wrong type', { ...CONFIG, staging: { perfWindowSeconds: '120' } }, /staging\.perfWindowSeconds: must be a number \(got "120"\)/],
    ['unknown field', { ...CONFIG, canray: {} }, /\(root\): unknown field\(s\) "canray"/],
    ['missing service', {}, /service: is required in .*bad\.json/],
    ['empty start command', { service: { name: 'svc', start: [] } }, /service\.start: must have at least 1 item/],
    ['unknown deploy target', { ...CONFIG, deploy: { target: 'k8s' } }, /deploy\.target/],
  ];
  for (const [name, config, message] of badConfigs) {
    it(`invalid config: ${name}`, async () => {
      const file = path.join(dir, 'bad.json');
      await writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));
      const result = await start('--repo', repo, '--base', 'main', '--head', 'good', '--config', file);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('started nothing', async () => {
    const list = await runCli(['list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });
});
