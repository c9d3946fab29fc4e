import { readFile } from 'node:fs/promises';
import { readEnv } from '../../config/env.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { reviewConfigSchema } from '../../config/schema.js';
import { analyzeChange, analyzeDiff, type ChangeAnalysis } from '../../activities/change/analyze.js';
import { MAX_DIFF_BYTES, symlinkTargets } from '../../activities/change/git.js';
import { checkDiffUsable } from '../../activities/change/validateDiff.js';
import { computeGates } from '../../workflows/policy/gates.js';
import { AGENT_OUTPUT_INVALID } from '../../workflows/failureTypes.js';
import { MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS } from '../../workflows/input.js';
import { AgentSetupError, agentsFor } from '../../activities/agents.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { resolveChange } from '../resolveChange.js';
import type { Command } from './command.js';

const spec = {
  name: 'review',
  summary: 'dry run: the review agent and the gates on a change, no workflow',
  usage: 'prpilot review (--repo PATH --base REF --head REF | --diff FILE) [--config F] [--title T] [--description D] [--json]',
  details: 'Runs the same review agent and gates as the workflow. --json prints {riskScore, gates, requiresHuman, findings, rationale}.',
  options: {
    ...helpOption, ...jsonOption,
    repo: { type: 'string' }, base: { type: 'string' }, head: { type: 'string' }, diff: { type: 'string' },
    config: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' },
  },
} as const;

export const reviewCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const fromRepo = values.repo !== undefined || values.base !== undefined || values.head !== undefined;
    if (fromRepo === (values.diff !== undefined)) throw new UsageError(`give either --repo/--base/--head or --diff\nusage: ${spec.usage}`);
    // The same limits as `start`: the review must not see what a run would refuse.
    if ((values.title ?? '').length > MAX_TITLE_CHARS) throw new UsageError(`--title is longer than ${MAX_TITLE_CHARS} characters`);
    if ((values.description ?? '').length > MAX_DESCRIPTION_CHARS) {
      throw new UsageError(`--description is longer than ${MAX_DESCRIPTION_CHARS} characters; link to it instead`);
    }
    let diff: string;
    let analysis: ChangeAnalysis;
    let threshold = reviewConfigSchema.parse({}).riskThreshold;
    if (values.diff !== undefined) {
      const raw = await readFile(values.diff).catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`--diff ${values.diff}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
      if (raw.length > MAX_DIFF_BYTES) throw new UsageError(`--diff ${values.diff}: ${raw.length} bytes is over the ${MAX_DIFF_BYTES}-byte limit`);
      const usable = checkDiffUsable(raw, `--diff ${values.diff}`);
      if (!usable.ok) throw new UsageError(usable.reason);
      diff = usable.text;
      analysis = analyzeDiff(diff); // a diff file alone cannot tell a moved link from a moved file
      if (values.config) threshold = (await loadConfig({ configPath: values.config })).config.review.riskThreshold;
    } else {
      for (const flag of ['repo', 'base', 'head'] as const) if (!values[flag]) throw new UsageError(`--${flag} is required with --repo\nusage: ${spec.usage}`);
      const change = await resolveChange(values.repo!, values.base!, values.head!);
      diff = change.diff;
      analysis = await analyzeChange(diff, (paths) => symlinkTargets(change.repoPath, change.headSha, paths));
      const loaded = await loadConfig({ configPath: values.config, repoPath: change.repoPath, baseSha: change.baseSha })
        .catch((error: unknown) => { if (error instanceof ConfigError && !values.config) return null; throw error; });
      if (loaded) threshold = loaded.config.review.riskThreshold;
    }
    const agents = await agentsFor(readEnv(), values.json ? () => undefined : io.err).catch((error: unknown) => {
      throw error instanceof AgentSetupError ? new UsageError(error.message) : error;
    });
    // As in the workflow: an agent that fails or answers invalidly escalates; the code's gates still apply.
    const run = await agents.review.review({
      diff, files: analysis.files, title: values.title ?? '', description: values.description ?? '',
      findings: analysis.findings, heuristic: analysis.heuristic,
    }).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error), invalid: (error as { type?: string }).type === AGENT_OUTPUT_INVALID }));
    const review = 'output' in run ? run.output : null;
    const trouble = 'error' in run ? [{ agent: 'review', error: run.error, why: run.error }] : [];
    const riskScore = review?.riskScore ?? analysis.heuristic.score;
    const { gates, reasons } = computeGates({
      riskScore, riskThreshold: threshold, findings: analysis.findings, review,
      agentFailures: 'error' in run && !run.invalid ? trouble : [], agentUncertain: 'error' in run && run.invalid ? trouble : [],
    });
    const rationale = review?.rationale ?? `review agent failed: ${'error' in run ? run.error : ''}`;
    const result = { riskScore, gates, requiresHuman: gates.length > 0, findings: analysis.findings, rationale };
    if (values.json) {
      io.out(JSON.stringify({ ...result, reasons, review, agent: 'identity' in run ? run.identity : null, tokens: 'tokens' in run ? run.tokens : null, stats: analysis.stats }, null, 2));
      return EXIT.ok;
    }
    io.out(`risk ${riskScore}/10 (threshold ${threshold}) · ${analysis.stats.files} file(s), +${analysis.stats.additions} -${analysis.stats.deletions}`);
    io.out(gates.length ? `requires a human: ${gates.join(', ')}` : 'no gate fired: would proceed without a human');
    for (const reason of reasons) io.out(`  - ${reason}`);
    io.out('');
    io.out(rationale);
    return EXIT.ok;
  },
};
