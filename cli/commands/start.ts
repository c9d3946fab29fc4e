import { readEnv } from '../../config/env.js';
import { helpOption, jsonOption, parseCommandArgs, type CommandSpec } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { followRun } from '../follow.js';
import { githubRepoArg } from '../resolveChange.js';
import { preparePr, startPr } from '../startPr.js';
import { connectClient } from '../temporal.js';
import type { Command } from './command.js';

const spec = {
  name: 'start',
  summary: "starts (or finds) the PR's workflow and prints its id and UI URL",
  usage: 'prpilot start --repo PATH --base REF --head REF [--pr N] [--title T] [--author A] [--description D] [--config F] [--wait [--until-blocked]] [--json]\n' +
    '       prpilot start --repo OWNER/NAME --pr N [--config F] [--wait [--until-blocked]] [--json]',
  details: [
    'The config is read from prpilot.config.json at the base commit (a PR cannot loosen its own gates), or from --config.',
    'With --repo OWNER/NAME (a GitHub repository, when no local directory has that name) base, head, title, author and',
    'description come from the pull request through the API: set GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise),',
    'on the worker too. --base/--head, if given, must match the PR.',
    'Starting the same PR again returns the running workflow. --wait prints each stage and exits with the outcome:',
    '0 deployed, 10 rolled_back, 11 rejected, 12 expired, 13 failed; with --until-blocked, 3 when it waits for approval.',
  ].join('\n'),
  options: {
    ...helpOption, ...jsonOption,
    repo: { type: 'string' }, base: { type: 'string' }, head: { type: 'string' }, pr: { type: 'string' },
    title: { type: 'string' }, author: { type: 'string' }, description: { type: 'string' }, config: { type: 'string' },
    wait: { type: 'boolean' }, 'until-blocked': { type: 'boolean' },
  },
} satisfies CommandSpec<Record<string, { type: 'string' | 'boolean'; short?: string }>>;

export const startCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    if (!values.repo) throw new UsageError(`--repo is required\nusage: ${spec.usage}`);
    if (!(await githubRepoArg(values.repo))) {
      for (const flag of ['base', 'head'] as const) {
        if (!values[flag]) throw new UsageError(`--${flag} is required\nusage: ${spec.usage}`);
      }
    }
    if (values['until-blocked'] && !values.wait) throw new UsageError('--until-blocked goes with --wait');
    const prNumber = values.pr === undefined ? null : parsePrNumber(values.pr);
    const env = readEnv();
    const { input, workflowId } = await preparePr({
      repo: values.repo, base: values.base, head: values.head, prNumber,
      title: values.title, author: values.author, description: values.description, configPath: values.config,
    }, env);
    const client = await connectClient(env);
    const started = await startPr(client, env, input, workflowId);
    const { revision, ...ids } = started;
    if (values.json) io.out(JSON.stringify(ids));
    else io.out(`workflow ${ids.workflowId}\nrun      ${ids.runId}\nUI       ${ids.url}`);
    if (revision === 'pushed') io.err(`this PR was already running on an older head: sent revisionPushed ${input.headSha.slice(0, 12)}, it restarts from review`);
    if (revision === 'unknown') io.err('could not read the run\'s status (is a worker running?); if it runs on an older head, send revisionPushed');
    if (!values.wait) return EXIT.ok;

    const end = await followRun(client, workflowId, { print: io.err, untilBlocked: values['until-blocked'] });
    if (end.kind === 'awaiting') {
      io.err(`awaiting approval: ${end.status.approvalRequest?.reasons.join('; ') ?? ''}`);
      io.err(`approve with: ${end.status.approvalRequest?.approveCommand ?? `prpilot approve ${workflowId} --by <you>`}`);
      return EXIT.awaitingApproval;
    }
    io.err(`outcome: ${end.result.outcome}: ${end.result.reason}`);
    return end.result.outcome === 'deployed' ? EXIT.ok : EXIT[end.result.outcome];
  },
};

function parsePrNumber(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--pr must be a positive whole number (got ${JSON.stringify(raw)})`);
  return n;
}
