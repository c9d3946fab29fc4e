/**
 * Tokens per PR for the Claude review agent (against the local Messages API stub, whose usage figures
 * count ~4 characters a token), for the demo's three PRs and a 1 MB diff. The baseline, measured in the
 * same run, is what sending each whole diff in one request would cost.
 *
 *   node --import tsx bench/tokens.ts
 */
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { analyzeDiff } from '../activities/change/analyze.js';
import { createAnthropicModel } from '../activities/llm/anthropic.js';
import { loadPrompt } from '../activities/llm/prompts.js';
import { createClaudeReviewAgent } from '../activities/review/claude.js';
import { buildDemoRepo } from '../cli/demo/buildRepo.js';
import { startAnthropicStub } from '../test/stub/anthropicStub.js';
import { bigDiff } from '../test/helpers/bigDiff.js';
import { round, writeResult } from './lib/result.js';

const stub = await startAnthropicStub();
const prompt = await loadPrompt('review');
const agent = createClaudeReviewAgent(createAnthropicModel({ apiKey: 'bench', baseURL: stub.url, model: 'claude-sonnet-4-5', timeoutMs: 10_000 }), prompt);
const repo = await buildDemoRepo();
const cases: [string, string][] = [
  ...repo.branches.map(({ pr, branch }): [string, string] => [`demo ${pr.key}`, execFileSync('git', ['-C', repo.path, 'diff', `main...${branch}`], { encoding: 'utf8' })]),
  ['1 MB diff', bigDiff()],
];
const rows = [];
for (const [name, diff] of cases) {
  const analysis = analyzeDiff(diff);
  const before = stub.requests.length;
  const run = await agent.review({ diff, files: analysis.files, title: name, description: '', findings: analysis.findings, heuristic: analysis.heuristic });
  const calls = stub.requests.length - before;
  const input = run.tokens.input + run.tokens.cacheRead + run.tokens.cacheWrite;
  const naive = Math.ceil((prompt.text.length + diff.length) / 4);
  rows.push({ name, bytes: diff.length, calls, input, output: run.tokens.output, cacheRead: run.tokens.cacheRead, naive, ratio: input / naive });
}
await stub.close();
await rm(repo.path, { recursive: true, force: true });
console.log('| PR | diff bytes | model calls | input tokens (incl. cache) | output | cache read | whole diff in one call | ratio |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(`| ${row.name} | ${row.bytes} | ${row.calls} | ${row.input} | ${row.output} | ${row.cacheRead} | ${row.naive} | ${row.ratio.toFixed(2)} |`);
}
const big = rows.at(-1)!;
console.log(`\n1 MB diff: ${big.input} input tokens (target ≤ 100000: ${big.input <= 100_000 ? 'met' : 'MISSED'}).`);
writeResult({
  name: 'tokens',
  figures: Object.fromEntries(rows.flatMap((row) => [[`${row.name}: input tokens`, row.input], [`${row.name}: model calls`, row.calls]])),
  baseline: Object.fromEntries(rows.map((row) => [`${row.name}: input tokens`, row.naive])),
  ratio: round(big.ratio, 3),
  target: '1 MB diff reviewed with ≤ 100,000 input tokens (ratio: its tokens ÷ the whole diff in one call)',
  met: big.input <= 100_000,
  notes: 'Claude review agent against the local Messages API stub (~4 characters a token); baseline: the prompt and the whole diff in one request',
});
