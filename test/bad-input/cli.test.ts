/**
 * Bad command lines to the real CLI (bin/prpilot), against a real dev server: each is refused with one
 * exact message and its exit code (2 usage, 1 error), no stack trace, nothing on stdout, and no workflow
 * appears in visibility.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/temporal.js';
import { itRefusesEach, type RefusalCase } from './lib/cases.js';
import { literal } from './lib/refusal.js';
import { createRepo, type FixtureRepo } from './lib/repo.js';
import { startWorld, type World } from './lib/world.js';

/** Commands that serve until stopped must refuse at once; one that started would be killed here and fail. */
const SERVER_COMMAND_TIMEOUT_MS = 60_000;
const KEY = Buffer.alloc(32, 7).toString('base64');
const CONCURRENT_CASES = 3;

describe('bad command lines', { timeout: 900_000 }, () => {
  let world: World;
  let repo: FixtureRepo;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...world.env, ...env });
  const start = (...args: string[]) => cli(['start', ...args]);
  const startGood = (...args: string[]) => start('--repo', repo.path, '--base', 'main', '--head', 'good', '--pr', '7', ...args);
  const serve = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { ...world.env, ...env }, { timeoutMs: SERVER_COMMAND_TIMEOUT_MS });

  before(async () => {
    world = await startWorld('cli');
    repo = await createRepo(world.dir);
    await repo.branch('good', { 'app.js': 'export const answer = 2;\n' });
  });
  after(async () => world?.stop());

  const usage = (command: string) => new RegExp(`^usage: prpilot ${command} `, 'm');
  const cases: RefusalCase[] = [
    // The command line itself
    { name: 'unknown command', run: () => cli(['deploy-now']), code: 2, message: /^prpilot: unknown command "deploy-now"$/m },
    {
      name: 'unknown flag', run: () => start('--repo', '.', '--frobnicate'), code: 2,
      message: /^prpilot start: Unknown option '--frobnicate'\. /m,
    },
    { name: 'flag without its value', run: () => start('--repo'), code: 2, message: /^prpilot start: Option '--repo <value>' argument missing$/m },
    { name: 'start: missing --repo', run: () => start('--base', 'main', '--head', 'good'), code: 2, message: /^prpilot start: --repo is required$/m },
    { name: 'start: missing --base', run: () => start('--repo', repo.path, '--head', 'good'), code: 2, message: /^prpilot start: --base is required$/m },
    { name: 'start: missing --head', run: () => start('--repo', repo.path, '--base', 'main'), code: 2, message: /^prpilot start: --head is required$/m },
    { name: 'status: missing ID', run: () => cli(['status']), code: 2, message: /^prpilot status: missing argument$/m },
    { name: 'status: extra argument', run: () => cli(['status', 'a', 'b']), code: 2, message: /^prpilot status: unexpected argument "b"$/m },
    { name: 'approve: missing --by', run: () => cli(['approve', 'pr-local-repo-7']), code: 2, message: /^prpilot approve: --by USER is required \(who is approving\)$/m },
    { name: "approve: --by ''", run: () => cli(['approve', 'pr-local-repo-7', '--by', '']), code: 2, message: /^prpilot approve: --by USER is required \(who is approving\)$/m },
    { name: 'approve: whitespace-only --by', run: () => cli(['approve', 'pr-local-repo-7', '--by', ' \t ']), code: 2, message: /^prpilot approve: --by USER is required \(who is approving\)$/m },
    { name: 'reject: missing --reason', run: () => cli(['reject', 'pr-local-repo-7', '--by', 'carol']), code: 2, message: /^prpilot reject: --reason is required to reject$/m },
    { name: 'reject: whitespace-only --reason', run: () => cli(['reject', 'pr-local-repo-7', '--by', 'carol', '--reason', '   ']), code: 2, message: /^prpilot reject: --reason is required to reject$/m },
    { name: 'start: --pr not a number', run: () => startGood('--pr', '12abc'), code: 2, message: /^prpilot start: --pr must be a positive whole number \(got "12abc"\)$/m },
    { name: 'start: --pr 0', run: () => startGood('--pr', '0'), code: 2, message: /^prpilot start: --pr must be a positive whole number \(got "0"\)$/m },
    { name: 'start: --pr beyond a safe integer', run: () => startGood('--pr', '99999999999999999999'), code: 2, message: /^prpilot start: --pr must be a positive whole number \(got "99999999999999999999"\)$/m },
    { name: 'start: whitespace-only --author', run: () => startGood('--author', '  '), code: 2, message: /^prpilot start: --author must not be empty$/m },
    { name: 'start: --until-blocked without --wait', run: () => startGood('--until-blocked'), code: 2, message: /^prpilot start: --until-blocked goes with --wait$/m },
    { name: 'start: --title over 500 characters', run: () => startGood('--title', 't'.repeat(501)), code: 2, message: /^prpilot start: --title is longer than 500 characters$/m },
    {
      name: 'start: --description over 16384 characters', run: () => startGood('--description', 'd'.repeat(16_385)), code: 2,
      message: /^prpilot start: --description is longer than 16384 characters; link to it instead$/m,
    },
    // The repository and refs
    {
      name: 'start: repo directory does not exist', run: () => start('--repo', '/nonexistent/repo', '--base', 'main', '--head', 'good', '--pr', '7'), code: 2,
      message: /^prpilot start: --repo \/nonexistent\/repo: no such directory$/m,
    },
    {
      name: 'start: repo path is not a git repository', run: () => start('--repo', tmpdir(), '--base', 'main', '--head', 'good', '--pr', '7'), code: 2,
      message: () => new RegExp(`^prpilot start: --repo ${literal(tmpdir())}: not a git repository$`, 'm'),
    },
    {
      name: 'start: base that does not exist', run: () => start('--repo', repo.path, '--base', 'no-such-base', '--head', 'good', '--pr', '7'), code: 2,
      message: () => new RegExp(`^prpilot start: --base no-such-base: unknown git ref "no-such-base" in ${literal(repo.path)}$`, 'm'),
    },
    {
      name: 'start: head that does not exist', run: () => start('--repo', repo.path, '--base', 'main', '--head', 'no-such-head', '--pr', '7'), code: 2,
      message: () => new RegExp(`^prpilot start: --head no-such-head: unknown git ref "no-such-head" in ${literal(repo.path)}$`, 'm'),
    },
    {
      name: 'start: a ref that looks like a flag', run: () => start('--repo', repo.path, '--base=--output=/tmp/x', '--head', 'good', '--pr', '7'), code: 2,
      message: /^prpilot start: --base --output=\/tmp\/x: not a git ref: "--output=\/tmp\/x"$/m,
    },
    {
      name: 'start: base and head are the same commit', run: () => start('--repo', repo.path, '--base', 'main', '--head', 'main', '--pr', '7'), code: 2,
      message: /^prpilot start: --base main and --head main are the same commit \([0-9a-f]{12}\): there is no change$/m,
    },
    // review
    { name: 'review: both --diff and --repo', run: () => cli(['review', '--diff', 'x.diff', '--repo', '.']), code: 2, message: /^prpilot review: give either --repo\/--base\/--head or --diff$/m },
    { name: 'review: --repo without --head', run: () => cli(['review', '--repo', repo.path, '--base', 'main']), code: 2, message: /^prpilot review: --head is required with --repo$/m },
    { name: 'review: --title over 500 characters', run: () => cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'good', '--title', 't'.repeat(501)]), code: 2, message: /^prpilot review: --title is longer than 500 characters$/m },
    {
      name: 'review: --description over 16384 characters', run: () => cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'good', '--description', 'd'.repeat(16_385)]), code: 2,
      message: /^prpilot review: --description is longer than 16384 characters; link to it instead$/m,
    },
    {
      name: 'review: --diff file does not exist', run: () => cli(['review', '--diff', path.join(tmpdir(), 'no-such.diff')]), code: 2,
      message: () => new RegExp(`^prpilot review: --diff ${literal(path.join(tmpdir(), 'no-such.diff'))}: no such file$`, 'm'),
    },
    // Data commands
    { name: 'list: --limit 0', run: () => cli(['list', '--limit', '0']), code: 2, message: /^prpilot list: --limit must be a whole number from 1 to 1000 \(got "0"\)$/m },
    { name: 'audit: --format pdf', run: () => cli(['audit', 'pr-local-repo-7', '--format', 'pdf']), code: 2, message: /^prpilot audit: --format must be json or md \(got "pdf"\)$/m },
    {
      name: 'metrics: --since yesterday', run: () => cli(['metrics', '--since', 'yesterday']), code: 2,
      message: /^prpilot metrics: --since must be a whole number of minutes, hours, days or weeks such as 90m, 12h, 30d or 2w \(got "yesterday"\)$/m,
    },
    { name: 'metrics: --since=-5d', run: () => cli(['metrics', '--since=-5d']), code: 2, message: /^prpilot metrics: --since must be a whole number of .+ \(got "-5d"\)$/m },
    { name: 'metrics: --since 0d', run: () => cli(['metrics', '--since', '0d']), code: 2, message: /^prpilot metrics: --since must be a whole number of .+ \(got "0d"\)$/m },
    { name: 'metrics: --since beyond ten years', run: () => cli(['metrics', '--since', '999999w']), code: 2, message: /^prpilot metrics: --since must be a whole number of .+ \(got "999999w"\)$/m },
    { name: 'metrics: --format xml', run: () => cli(['metrics', '--format', 'xml']), code: 2, message: /^prpilot metrics: --format must be text, md or json \(got "xml"\)$/m },
    { name: 'metrics: --json with --format md', run: () => cli(['metrics', '--json', '--format', 'md']), code: 2, message: /^prpilot metrics: --json and --format md contradict each other: use one$/m },
    // Servers
    { name: 'webhook: --port 70000', run: () => serve(['webhook', '--port', '70000']), code: 2, message: /^prpilot webhook: --port must be a port number \(got "70000"\)$/m },
    { name: 'webhook: --port abc', run: () => serve(['webhook', '--port', 'abc']), code: 2, message: /^prpilot webhook: --port must be a port number \(got "abc"\)$/m },
    { name: 'webhook: --port=-1', run: () => serve(['webhook', '--port=-1']), code: 2, message: /^prpilot webhook: --port must be a port number \(got "-1"\)$/m },
    {
      name: 'webhook: no PRPILOT_WEBHOOK_SECRET', run: async () => serve(['webhook', '--port', String(await freePort())], { GITHUB_TOKEN: 'ghs_x' }), code: 2,
      message: /^prpilot webhook: PRPILOT_WEBHOOK_SECRET is not set: set it to the secret configured on the GitHub webhook \(every delivery is checked against it\)$/m,
    },
    {
      name: 'webhook: no GITHUB_TOKEN', run: async () => serve(['webhook', '--port', String(await freePort())], { PRPILOT_WEBHOOK_SECRET: 's3cret' }), code: 2,
      message: /^prpilot webhook: the webhook reads pull requests, diffs and config from GitHub: .*GITHUB_TOKEN/m,
    },
    {
      name: 'codec-server: --port 99999', run: () => serve(['codec-server', '--port', '99999'], { PRPILOT_ENCRYPTION_KEY: KEY }), code: 2,
      message: /^prpilot codec-server: --port must be a port number from 0 \(any free port\) to 65535 \(got "99999"\)$/m,
    },
    {
      name: 'codec-server: without a key', run: async () => serve(['codec-server', '--port', String(await freePort())]), code: 2,
      message: /^prpilot codec-server: PRPILOT_ENCRYPTION_KEY is not set: the codec server decodes with the workers' key \(base64 of 32 bytes\)$/m,
    },
    {
      name: 'codec-server: a key that is not base64', run: async () => serve(['codec-server', '--port', String(await freePort())], { PRPILOT_ENCRYPTION_KEY: 'not base64!' }), code: 2,
      message: /^prpilot codec-server: PRPILOT_ENCRYPTION_KEY is not valid base64 /m,
    },
    {
      name: 'codec-server: on the network without a token', run: async () => serve(['codec-server', '--port', String(await freePort()), '--host', '0.0.0.0'], { PRPILOT_ENCRYPTION_KEY: KEY }), code: 2,
      message: /^prpilot codec-server: --host 0\.0\.0\.0 would decode payloads for anyone on the network: set PRPILOT_CODEC_TOKEN, or keep the default host 127\.0\.0\.1$/m,
    },
    {
      name: 'codec-server: --origin that is not a URL', run: async () => serve(['codec-server', '--port', String(await freePort()), '--origin', 'localhost:8233'], { PRPILOT_ENCRYPTION_KEY: KEY }), code: 2,
      message: /^prpilot codec-server: --origin must be an http\(s\) URL \(got "localhost:8233"\)$/m,
    },
    // Environment and server
    {
      name: 'PRPILOT_LLM neither anthropic nor offline', run: () => cli(['review', '--repo', repo.path, '--base', 'main', '--head', 'good'], { PRPILOT_LLM: 'gpt' }), code: 2,
      message: /^prpilot review: environment: PRPILOT_LLM .*"anthropic"\|"offline" \(got "gpt"\)$/m,
    },
    {
      name: 'status: unknown workflow id', run: () => cli(['status', 'pr-local-nothing-1']), code: 1,
      message: /^prpilot status: no workflow with id "pr-local-nothing-1" in namespace default \(see `prpilot list`\)$/m,
    },
    {
      name: 'approve: unknown workflow id', run: () => cli(['approve', 'pr-local-nothing-1', '--by', 'carol']), code: 1,
      message: /^prpilot approve: no workflow with id "pr-local-nothing-1" in namespace default \(see `prpilot list`\)$/m,
    },
    {
      name: 'reject: unknown workflow id', run: () => cli(['reject', 'pr-local-nothing-1', '--by', 'carol', '--reason', 'no']), code: 1,
      message: /^prpilot reject: no workflow with id "pr-local-nothing-1" in namespace default \(see `prpilot list`\)$/m,
    },
    {
      name: 'audit: unknown workflow id', run: () => cli(['audit', 'pr-local-nothing-1']), code: 1,
      message: /^prpilot audit: no workflow with id "pr-local-nothing-1" in namespace default \(see `prpilot list`\)$/m,
    },
    {
      name: 'unreachable Temporal server', run: () => cli(['status', 'pr-local-repo-7'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }), code: 1,
      message: /^prpilot status: cannot reach Temporal at 127\.0\.0\.1:1: /m,
    },
  ];
  // Each case is its own CLI process and touches nothing the others read: run a few at a time.
  describe('each refused', { concurrency: CONCURRENT_CASES }, () => {
    itRefusesEach(cases, async () => assert.deepEqual(await world.workflowIds(), [], 'no workflow was started'));
  });

  it('says how to use the command after a usage error', async () => {
    const run = await start('--repo', repo.path, '--frobnicate');
    assert.match(run.stderr, usage('start'));
  });

  it('started nothing, as `prpilot list --json` shows', async () => {
    await world.assertListed([]);
  });
});
