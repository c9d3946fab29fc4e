import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { computeDora, nearestRank, type MetricsWindow, type RunSummary } from '../../cli/metrics/dora.js';
import { renderMarkdown } from '../../cli/metrics/markdown.js';
import { renderText } from '../../cli/metrics/render.js';
import { sparkline } from '../../cli/metrics/format.js';
import { summarizeHistory } from '../../cli/metrics/summarize.js';
import { parseSince } from '../../cli/metrics/window.js';

const S = 1_000;
const DAY = 86_400 * S;
const END = Date.parse('2025-03-31T12:00:00Z');
const window30d: MetricsWindow = { since: '30d', startMs: END - 30 * DAY, endMs: END };
const none = { open: 0, skipped: [] };

let counter = 0;
/** A run that closed `closedAgo` before the window's end, its outcome decided `leadSeconds` after it started. */
function run(outcome: RunSummary['outcome'], leadSeconds: number, extra: Partial<RunSummary> & { closedAgo?: number } = {}): RunSummary {
  const closedAtMs = END - (extra.closedAgo ?? DAY);
  const outcomeAtMs = closedAtMs - 100;
  return {
    workflowId: `pr-${++counter}`,
    outcome,
    startedAtMs: outcomeAtMs - leadSeconds * S,
    closedAtMs,
    outcomeAtMs,
    canaryFailedAtMs: null,
    restoredAtMs: null,
    gates: [],
    approvedBy: null,
    ...extra,
  };
}

const deployedWithLeads = (...seconds: number[]) => seconds.map((lead) => run('deployed', lead));

describe('nearest-rank percentiles', () => {
  it('takes the value at rank ⌈p·n⌉', () => {
    assert.equal(nearestRank([], 50), null);
    assert.equal(nearestRank([7], 50), 7);
    assert.equal(nearestRank([7], 90), 7);
    assert.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    // 0.9 × 70 is 63.000000000000014 in floating point: the rank must still be 63.
    assert.equal(nearestRank(Array.from({ length: 70 }, (_, i) => i + 1), 90), 63);
  });
});

describe('lead time for changes', () => {
  it('odd count: median is the middle value, p90 the largest of five', () => {
    const report = computeDora(deployedWithLeads(50, 10, 40, 20, 30), window30d, none);
    assert.deepEqual(report.leadTime, { count: 5, medianSeconds: 30, p90Seconds: 50 });
  });

  it('even count: median is the lower middle value (nearest rank), not an average', () => {
    const report = computeDora(deployedWithLeads(40, 10, 30, 20), window30d, none);
    assert.deepEqual(report.leadTime, { count: 4, medianSeconds: 20, p90Seconds: 40 });
    const ten = computeDora(deployedWithLeads(...Array.from({ length: 10 }, (_, i) => (i + 1) * 60)), window30d, none);
    assert.deepEqual(ten.leadTime, { count: 10, medianSeconds: 300, p90Seconds: 540 });
  });

  it('counts only deployed runs', () => {
    const report = computeDora([...deployedWithLeads(100), run('rolled_back', 5), run('rejected', 1), run('failed', 2)], window30d, none);
    assert.deepEqual(report.leadTime, { count: 1, medianSeconds: 100, p90Seconds: 100 });
  });

  it('falls back to the close time when the deployed decision is stamped before the start', () => {
    const skewed = run('deployed', 10);
    skewed.outcomeAtMs = skewed.startedAtMs - 5 * S;
    const report = computeDora([skewed], window30d, none);
    assert.equal(report.leadTime.medianSeconds, (skewed.closedAtMs - skewed.startedAtMs) / S);
  });
});

describe('deployment frequency and change failure rate', () => {
  it('divides deployments by the window length, per day and per week', () => {
    const twoWeeks: MetricsWindow = { since: '2w', startMs: END - 14 * DAY, endMs: END };
    const report = computeDora(deployedWithLeads(1, 2, 3, 4, 5, 6, 7), twoWeeks, none);
    assert.deepEqual(report.deploymentFrequency, { deployed: 7, perDay: 0.5, perWeek: 3.5 });
  });

  it('rolled_back / (deployed + rolled_back)', () => {
    const report = computeDora([...deployedWithLeads(1, 2, 3), run('rolled_back', 4), run('rejected', 1), run('expired', 1)], window30d, none);
    assert.deepEqual(report.changeFailureRate, { rolledBack: 1, deployed: 3, rate: 0.25 });
    assert.deepEqual(report.outcomes, { deployed: 3, rolled_back: 1, rejected: 1, expired: 1, failed: 0 });
  });

  it('zero deployments: no rate, no lead time, and never NaN in any output', () => {
    const report = computeDora([run('rejected', 1), run('expired', 1)], window30d, { open: 2, skipped: [] });
    assert.deepEqual(report.deploymentFrequency, { deployed: 0, perDay: 0, perWeek: 0 });
    assert.equal(report.changeFailureRate.rate, null);
    assert.deepEqual(report.leadTime, { count: 0, medianSeconds: null, p90Seconds: null });
    assert.deepEqual(report.timeToRestore, { count: 0, medianSeconds: null, p90Seconds: null, unmeasured: 0 });
    assert.equal(report.runs.open, 2);
    const outputs = [JSON.stringify(report), renderText(report).join('\n'), renderMarkdown(report)];
    for (const output of outputs) assert.doesNotMatch(output, /NaN|Infinity|undefined/);
    assert.match(renderText(report).join('\n'), /change failure rate\s+n\/a/);
  });

  it('an empty window: every rate is null', () => {
    const report = computeDora([], window30d, none);
    assert.equal(report.runs.closed, 0);
    assert.equal(report.escalation.humanApprovalRequired.rate, null);
    assert.equal(report.escalation.byGate.schema_change.rate, null);
    assert.doesNotMatch(renderMarkdown(report), /NaN|Infinity|undefined/);
  });
});

describe('time to restore', () => {
  const rollback = (failedToRestoredSeconds: number) => {
    const summary = run('rolled_back', 600);
    summary.restoredAtMs = summary.outcomeAtMs - 50;
    summary.canaryFailedAtMs = summary.restoredAtMs - failedToRestoredSeconds * S;
    return summary;
  };

  it('only rollbacks: change failure rate 1, restore times from canary failure to rollback done', () => {
    const report = computeDora([rollback(30), rollback(10), rollback(20)], window30d, none);
    assert.deepEqual(report.changeFailureRate, { rolledBack: 3, deployed: 0, rate: 1 });
    assert.deepEqual(report.timeToRestore, { count: 3, medianSeconds: 20, p90Seconds: 30, unmeasured: 0 });
    assert.equal(report.leadTime.count, 0);
  });

  it('a rollback without a canary verdict is counted as unmeasured, not as zero', () => {
    const unknownStart = Object.assign(run('rolled_back', 600), { restoredAtMs: END - DAY });
    const report = computeDora([rollback(40), run('rolled_back', 600), unknownStart], window30d, none);
    assert.deepEqual(report.timeToRestore, { count: 1, medianSeconds: 40, p90Seconds: 40, unmeasured: 2 });
    assert.equal(report.changeFailureRate.rolledBack, 3);
  });
});

describe('the window', () => {
  it('includes runs closed exactly at its start and end, and nothing outside', () => {
    const runs = [
      run('deployed', 1, { closedAgo: 30 * DAY }),
      run('deployed', 1, { closedAgo: 0 }),
      run('deployed', 1, { closedAgo: 30 * DAY + 1 }),
      run('deployed', 1, { closedAgo: -1 }),
    ];
    const report = computeDora(runs, window30d, none);
    assert.equal(report.runs.closed, 2);
    assert.equal(report.deploymentFrequency.deployed, 2);
    assert.equal(report.window.seconds, 30 * 86_400);
    assert.equal(report.window.start, '2025-03-01T12:00:00.000Z');
  });

  it('parses --since durations and refuses anything else', () => {
    assert.equal(parseSince('30d'), 30 * DAY);
    assert.equal(parseSince('12h'), 12 * 3_600 * S);
    assert.equal(parseSince('90m'), 90 * 60 * S);
    assert.equal(parseSince('2w'), 14 * DAY);
    for (const bad of ['', '0d', '-1d', '1.5d', '30', 'd', '30 days', '3y', '99999w']) assert.equal(parseSince(bad), null, bad);
  });
});

describe('escalation by gate', () => {
  it('shares of all closed runs, whatever their outcome, plus the human-approval rate', () => {
    const runs = [
      run('deployed', 1, { gates: ['schema_change'], approvedBy: 'carol' }),
      run('rejected', 1, { gates: ['schema_change', 'secret'] }),
      run('deployed', 1),
      run('rolled_back', 1),
    ];
    const report = computeDora(runs, window30d, none);
    assert.deepEqual(report.escalation.byGate.schema_change, { count: 2, rate: 0.5 });
    assert.deepEqual(report.escalation.byGate.secret, { count: 1, rate: 0.25 });
    assert.deepEqual(report.escalation.byGate.api_breaking, { count: 0, rate: 0 });
    assert.deepEqual(report.escalation.humanApprovalRequired, { count: 2, rate: 0.5 });
    assert.equal(report.escalation.approvedByHuman, 1);
    assert.equal(Object.keys(report.escalation.byGate).length, 8, 'every gate is listed, fired or not');
  });
});

describe('the trend series', () => {
  it('a 30-day window has one point per UTC day and puts each deploy on its day', () => {
    const runs = [
      run('deployed', 60, { closedAgo: 0 }),
      run('deployed', 120, { closedAgo: 0 }),
      run('rolled_back', 10, { closedAgo: 2 * DAY }),
      run('deployed', 30, { closedAgo: 2 * DAY }),
    ];
    const { series } = computeDora(runs, window30d, none);
    assert.equal(series.bucket, 'day');
    assert.equal(series.points.length, 31);
    const last = series.points.at(-1);
    assert.equal(last?.start, '2025-03-31T00:00:00.000Z');
    assert.equal(last?.deployed, 2);
    assert.equal(last?.medianLeadTimeSeconds, 60);
    const twoDaysAgo = series.points.at(-3);
    assert.deepEqual(twoDaysAgo && { deployed: twoDaysAgo.deployed, rolledBack: twoDaysAgo.rolledBack }, { deployed: 1, rolledBack: 1 });
    assert.equal(series.points.reduce((sum, point) => sum + point.deployed, 0), 3);
  });

  it('short windows go by the hour, long ones by the week', () => {
    assert.equal(computeDora([], { since: '12h', startMs: END - DAY / 2, endMs: END }, none).series.bucket, 'hour');
    const year = computeDora([], { since: '52w', startMs: END - 364 * DAY, endMs: END }, none).series;
    assert.equal(year.bucket, 'week');
    assert.equal(new Date(year.points[0]?.start ?? '').getUTCDay(), 1, 'weeks start on Monday');
  });

  it('draws none as · and scales the rest up to █', () => {
    assert.equal(sparkline([0, 1, 2, 4, 8, null]), '·▁▂▄█·');
    assert.equal(sparkline([0, 0]), '··');
  });
});

describe('the Markdown report', () => {
  it('has the figures, the trend chart and the gate bars', () => {
    const runs = [
      ...deployedWithLeads(60, 180, 300),
      run('deployed', 240, { closedAgo: 3 * DAY, gates: ['schema_change'], approvedBy: 'carol' }),
      Object.assign(run('rolled_back', 200), { canaryFailedAtMs: END - DAY - 100 - 45 * S, restoredAtMs: END - DAY - 100 }),
    ];
    const markdown = renderMarkdown(computeDora(runs, window30d, { open: 1, skipped: [{ workflowId: 'pr-x', runId: 'r1', reason: 'execution terminated: no outcome' }] }));
    assert.match(markdown, /^# DORA metrics: last 30d/);
    assert.match(markdown, /Change failure rate \| \*\*20%\*\* \| 1 rolled back of 5/);
    assert.match(markdown, /Lead time for changes \| \*\*median 3m 00s\*\*, p90 5m 00s \| 4 deployed/);
    assert.match(markdown, /Time to restore \| \*\*median 45s\*\*/);
    assert.match(markdown, /Deployment frequency \| \*\*0\.13 per day\*\*/);
    // The chart: one sparkline character per day, with the day of three deploys at full height.
    const chart = /deployments per day\s+([·▁▂▃▄▅▆▇█]+)/.exec(markdown);
    assert.ok(chart, markdown);
    assert.equal([...(chart[1] ?? '')].length, 31);
    assert.ok(chart[1]?.includes('█'));
    assert.match(markdown, /median lead time\s+[·▁▂▃▄▅▆▇█]{31}/);
    assert.match(markdown, /schema_change {2}█{4}░{16} {2}20% \(1 of 5\)/);
    assert.match(markdown, /`pr-x` \(run `r1`\): execution terminated: no outcome/);
    assert.match(markdown, /nearest-rank/);
  });
});

describe('summarizing a saved history', () => {
  const load = async (name: string) => historyFromJSON(JSON.parse(await readFile(new URL(`../histories/${name}.json`, import.meta.url), 'utf8')));
  const eventMs = (value: string) => Date.parse(value.replace(/(\.\d{3})\d*Z$/, '$1Z'));

  it('a rolled-back run: canary judged failing before the rollback was done, both inside the run', async () => {
    const history = await load('demo-bad');
    const summary = summarizeHistory('pr-bad', history);
    assert.ok(summary.ok, summary.ok ? '' : summary.reason);
    const { run: bad } = summary;
    assert.equal(bad.outcome, 'rolled_back');
    assert.ok(bad.canaryFailedAtMs !== null && bad.restoredAtMs !== null);
    assert.ok(bad.startedAtMs < bad.canaryFailedAtMs && bad.canaryFailedAtMs < bad.restoredAtMs, JSON.stringify(bad));
    // Restored when the first record after the rollback was sealed, before the outcome was recorded.
    assert.ok(bad.restoredAtMs < bad.outcomeAtMs && bad.outcomeAtMs <= bad.closedAtMs, JSON.stringify(bad));
    const json = JSON.parse(await readFile(new URL('../histories/demo-bad.json', import.meta.url), 'utf8')) as { events: { eventTime: string }[] };
    assert.equal(bad.startedAtMs, eventMs(json.events[0]?.eventTime ?? ''));
  });

  it('without the canary verdict record, falls back to when the run entered rolling_back', async () => {
    // A history from before canary verdicts were sealed in batches: there the verdict is one marker of its own.
    const history = await load('v2-demo-bad');
    const withVerdict = summarizeHistory('pr-bad', history);
    const events = (history.events ?? []).filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.result?.payloads?.[0]?.data;
      return !(data && Buffer.from(data).toString('utf8').includes('"decision":"canary fail'));
    });
    assert.equal(events.length, (history.events ?? []).length - 1, 'the verdict record was removed');
    const fallback = summarizeHistory('pr-bad', { events });
    assert.ok(withVerdict.ok && fallback.ok);
    const verdictAt = withVerdict.run.canaryFailedAtMs ?? 0;
    const enteredAt = fallback.run.canaryFailedAtMs ?? 0;
    assert.ok(enteredAt >= verdictAt && enteredAt < fallback.run.outcomeAtMs, `${verdictAt} ≤ ${enteredAt} < ${fallback.run.outcomeAtMs}`);
  });

  it('an approved run keeps its gates and approver; a clean one has none', async () => {
    const risky = summarizeHistory('pr-risky', await load('demo-risky'));
    const clean = summarizeHistory('pr-clean', await load('demo-clean'));
    assert.ok(risky.ok && clean.ok);
    assert.deepEqual([risky.run.outcome, risky.run.gates, risky.run.approvedBy], ['deployed', ['schema_change'], 'carol']);
    assert.deepEqual([clean.run.outcome, clean.run.gates, clean.run.approvedBy, clean.run.canaryFailedAtMs, clean.run.restoredAtMs], ['deployed', [], null, null, null]);
    assert.ok(clean.run.outcomeAtMs > clean.run.startedAtMs);
  });

  it('a run without a completion or with a foreign result is skipped with a reason', async () => {
    const history = await load('demo-clean');
    const open = summarizeHistory('pr-open', { events: (history.events ?? []).filter((event) => !event.workflowExecutionCompletedEventAttributes) });
    assert.deepEqual(open, { ok: false, reason: 'history has no completion event (the run did not complete)' });
    const foreign = { events: (history.events ?? []).map((event) => event.workflowExecutionCompletedEventAttributes
      ? { ...event, workflowExecutionCompletedEventAttributes: { result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"outcome":"shipped"}') }] } } }
      : event) };
    const summary = summarizeHistory('pr-foreign', foreign);
    assert.equal(summary.ok, false);
    assert.match(summary.ok ? '' : summary.reason, /not a prToProduction result \(outcome:/);
  });
});
