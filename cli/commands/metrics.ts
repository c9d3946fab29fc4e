import { readEnv } from '../../config/env.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { EXIT, UsageError } from '../errors.js';
import { connectClient } from '../temporal.js';
import { collectRuns } from '../metrics/collect.js';
import { computeDora, DEFINITIONS } from '../metrics/dora.js';
import { renderMarkdown } from '../metrics/markdown.js';
import { renderText } from '../metrics/render.js';
import { parseSince } from '../metrics/window.js';
import type { Command, Io } from './command.js';

const DEFAULT_SINCE = '30d';
/** Histories read at once: enough to hide latency, few enough not to crowd the frontend. */
const CONCURRENCY = 8;
/** From this many runs on, progress goes to stderr. */
const PROGRESS_FROM = 20;

const spec = {
  name: 'metrics',
  summary: 'DORA: lead time, deployment frequency, change failure rate, time to restore',
  usage: 'prpilot metrics [--since 30d] [--format text|md|json] [--json]',
  details: [
    `--since    how far back, by close time: a whole number of m, h, d or w (default ${DEFAULT_SINCE}), e.g. 90m, 12h, 2w`,
    '--format   text (default), md (a Markdown report with a trend chart) or json (as --json)',
    '--json     one JSON object; durations in seconds, rates as fractions (null when there is nothing to divide by)',
    '',
    'Definitions:',
    ...Object.entries(DEFINITIONS).map(([name, text]) => `  ${name}: ${text}`),
  ].join('\n'),
  options: { ...helpOption, ...jsonOption, since: { type: 'string' }, format: { type: 'string' } },
} as const;

export const metricsCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const since = values.since ?? DEFAULT_SINCE;
    const sinceMs = parseSince(since);
    if (sinceMs === null) {
      throw new UsageError(`--since must be a whole number of minutes, hours, days or weeks such as 90m, 12h, 30d or 2w (got ${JSON.stringify(since)})\nusage: ${spec.usage}`);
    }
    const format = values.json ? 'json' : values.format ?? 'text';
    if (format !== 'text' && format !== 'md' && format !== 'json') throw new UsageError(`--format must be text, md or json (got ${JSON.stringify(format)})`);
    if (values.json && values.format !== undefined && values.format !== 'json') throw new UsageError(`--json and --format ${values.format} contradict each other: use one`);

    const client = await connectClient(readEnv());
    const endMs = Date.now();
    const startMs = endMs - sinceMs;
    const collected = await collectRuns(client, { startMs, concurrency: CONCURRENCY, onProgress: progressTo(io) });
    const report = computeDora(collected.runs, { since, startMs, endMs }, { open: collected.open, skipped: collected.skipped });
    if (format === 'json') io.out(JSON.stringify(report, null, 2));
    else if (format === 'md') io.out(renderMarkdown(report));
    else for (const line of renderText(report)) io.out(line);
    return EXIT.ok;
  },
};

/** A line on stderr at every tenth of a large set, so stdout stays the report alone. */
function progressTo(io: Io): (done: number, total: number) => void {
  let shownTenths = 0;
  return (done, total) => {
    if (total < PROGRESS_FROM) return;
    const tenths = Math.floor((done * 10) / total);
    if (tenths > shownTenths) {
      shownTenths = tenths;
      io.err(`metrics: read ${done} of ${total} run histories`);
    }
  };
}
