/**
 * `npm run bench`: every benchmark in bench/ that writes a result, one after the other, each as a child
 * process (its own process group) with a time limit: over it, the group gets SIGTERM (each bench then
 * stops its servers and processes and removes its temp dirs), SIGKILL 20 s later. Then:
 *
 *   bench/results/<name>.json   each bench's own result (written by the bench)
 *   bench/results/logs/<script>.log   its output
 *   bench/results.json          this run's results, with each bench's status, time and the machine's load
 *   bench/results.md            the table: bench, figure, baseline, ratio, target, met (also printed)
 *
 * Benches left out with --only/--skip keep their latest result: the table shows it, dated, as earlier.
 *
 *   node --import tsx bench/run-all.ts [--only overhead,scale] [--skip scale]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchResultSchema, markdownTable, RESULTS_DIR, type BenchResult } from './lib/result.js';
import { TSX_IMPORT } from './lib/child.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const LOG_DIR = path.join(RESULTS_DIR, 'logs');

/** In this order, cheap ones first; scale last (it spends its own budget, see bench/scale.ts). */
const KNOWN: { script: string; limitSeconds: number }[] = [
  { script: 'tokens.ts', limitSeconds: 180 },
  { script: 'overhead.ts', limitSeconds: 360 },
  { script: 'historySize.ts', limitSeconds: 300 },
  { script: 'leadTime.ts', limitSeconds: 480 },
  { script: 'canaryRollback.ts', limitSeconds: 900 },
  { script: 'canaryFalseRollback.ts', limitSeconds: 900 },
  { script: 'canaryPrometheus.ts', limitSeconds: 900 },
  { script: 'scale.ts', limitSeconds: 1680 },
];
const DEFAULT_LIMIT_SECONDS = 600;

interface BenchRun {
  script: string;
  status: 'ok' | 'failed' | 'timed out';
  exitCode: number | null;
  seconds: number;
  results: string[];
}

function listFlag(name: string): string[] | null {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? null : (process.argv[index + 1] ?? '').split(',').map((entry) => entry.replace(/\.ts$/, ''));
}

/** The known benches that exist, then any other bench/*.ts that writes a result. */
function benches(): { script: string; limitSeconds: number }[] {
  const present = KNOWN.filter((bench) => existsSync(path.join(BENCH_DIR, bench.script)));
  const others = readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts') && file !== 'run-all.ts' && !KNOWN.some((bench) => bench.script === file))
    .filter((file) => readFileSync(path.join(BENCH_DIR, file), 'utf8').includes('writeResult('))
    .map((script) => ({ script, limitSeconds: DEFAULT_LIMIT_SECONDS }));
  const only = listFlag('only');
  const skip = listFlag('skip') ?? [];
  return [...present.slice(0, -1), ...others, ...present.slice(-1)]
    .filter((bench) => (only === null || only.includes(bench.script.replace(/\.ts$/, ''))) && !skip.includes(bench.script.replace(/\.ts$/, '')));
}

/** Runs one bench in its own process group; its output goes to our stdout (prefixed) and to its log. */
async function runBench(script: string, limitSeconds: number): Promise<BenchRun> {
  const startedMs = Date.now();
  const name = script.replace(/\.ts$/, '');
  const log = createWriteStream(path.join(LOG_DIR, `${name}.log`));
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, path.join(BENCH_DIR, script)], {
    cwd: path.join(BENCH_DIR, '..'), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timedOut = false;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  const limit = setTimeout(() => {
    timedOut = true;
    console.error(`[${name}] over its ${limitSeconds}-s limit: SIGTERM`);
    signalGroup('SIGTERM');
    setTimeout(() => signalGroup('SIGKILL'), 20_000).unref();
  }, limitSeconds * 1000);
  const forward = () => signalGroup('SIGTERM');
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exitCode = await exited;
  clearTimeout(limit);
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  await sleep(200); // let the last output drain
  signalGroup('SIGKILL'); // anything of the bench's group still running (a bench must leave nothing)
  await new Promise<void>((resolve) => log.end(() => resolve()));
  const results = readdirSync(RESULTS_DIR)
    .filter((file) => file.endsWith('.json') && statSync(path.join(RESULTS_DIR, file)).mtimeMs >= startedMs)
    .map((file) => path.join(RESULTS_DIR, file));
  return {
    script,
    status: timedOut ? 'timed out' : exitCode === 0 ? 'ok' : 'failed',
    exitCode,
    seconds: Math.round((Date.now() - startedMs) / 1000),
    results,
  };
}

interface DatedResult extends BenchResult {
  measuredAt: string;
  /** false: kept from an earlier run (its bench was left out of this one) */
  thisRun: boolean;
}

/** Every result in bench/results/, those written by this run first. */
function readResults(thisRun: Set<string>): DatedResult[] {
  const files = readdirSync(RESULTS_DIR).filter((file) => file.endsWith('.json')).map((file) => path.join(RESULTS_DIR, file));
  return files.flatMap((file) => {
    const parsed = benchResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) console.error(`${file}: not a bench result (${parsed.error.message})`);
    return parsed.success ? [{ ...parsed.data, measuredAt: parsed.data.measuredAt ?? statSync(file).mtime.toISOString(), thisRun: thisRun.has(file) }] : [];
  }).sort((a, b) => Number(b.thisRun) - Number(a.thisRun));
}

/** One row per figure (its baseline beside it when the keys match, other baselines after), ratio/target/met once per bench. */
function tableRows(results: DatedResult[], runs: BenchRun[]): string[][] {
  const rows: string[][] = [];
  for (const result of results) {
    const keys = [...Object.keys(result.figures), ...Object.keys(result.baseline).filter((key) => !(key in result.figures))];
    keys.forEach((key, index) => {
      const figure = key in result.figures ? `${key} = ${result.figures[key]}` : '';
      const baseline = key in result.baseline ? `${key} = ${result.baseline[key]}` : '';
      rows.push(index === 0
        ? [result.thisRun ? result.name : `${result.name} (earlier run, ${result.measuredAt.slice(0, 10)})`, figure, baseline, String(result.ratio), result.target, result.met ? 'yes' : '**no**']
        : ['', figure, baseline, '', '', '']);
    });
  }
  for (const run of runs.filter((entry) => entry.status !== 'ok')) {
    rows.push([run.script, `${run.status} (exit ${run.exitCode}) after ${run.seconds} s`, '', '', 'see bench/results/logs/', '**no**']);
  }
  return rows;
}

mkdirSync(LOG_DIR, { recursive: true });
const startedAt = new Date();
const loadBefore = loadavg();
const runs: BenchRun[] = [];
for (const bench of benches()) {
  console.log(`\n=== ${bench.script} (limit ${bench.limitSeconds} s) ===`);
  const run = await runBench(bench.script, bench.limitSeconds);
  runs.push(run);
  console.log(`=== ${bench.script}: ${run.status} in ${run.seconds} s ===`);
}
const results = readResults(new Set(runs.flatMap((run) => run.results)));
const machine = {
  cpus: cpus().length,
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  loadAverageBefore: loadBefore.map((value) => Math.round(value * 100) / 100),
  loadAverageAfter: loadavg().map((value) => Math.round(value * 100) / 100),
};
const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
writeFileSync(path.join(BENCH_DIR, 'results.json'), `${JSON.stringify({
  startedAt: startedAt.toISOString(), seconds, machine,
  runs: runs.map((run) => ({ ...run, results: run.results.map((file) => path.relative(BENCH_DIR, file)) })),
  results,
}, null, 2)}\n`);
const table = markdownTable(['bench', 'figure', 'baseline', 'ratio', 'target', 'met'], tableRows(results, runs));
const markdown = [
  `# Benchmark results`,
  '',
  `\`npm run bench\` on ${startedAt.toISOString()}: ${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverageBefore.join(' / ')} before and ${machine.loadAverageAfter.join(' / ')} after; ${seconds} s in all.`,
  '',
  table,
  '',
  ...results.map((result) => `- **${result.name}**: ${result.notes}`),
  '',
].join('\n');
writeFileSync(path.join(BENCH_DIR, 'results.md'), markdown);
console.log(`\n${table}\n\n${runs.map((run) => `${run.script}: ${run.status}, ${run.seconds} s`).join('; ')}. ${seconds} s in all.`);
console.log('Written: bench/results.json, bench/results.md');
process.exitCode = runs.every((run) => run.status === 'ok') ? 0 : 1;
