/**
 * Load generator, run as its own process:
 *   node --import tsx targets/local/loadgen.ts '<LoadgenConfig JSON>'
 * Sends GET requests to `url` over `paths` (round robin) at `requestsPerSecond`, with at most
 * `maxInFlight` outstanding (a request due while the limit is reached is skipped and counted) and a
 * per-request timeout. Runs until SIGTERM, or for `durationSeconds` then waits for in-flight requests.
 * Prints `{"event":"started"}` first, progress every 5 s, and a summary at the end. Outcomes are
 * measured by the proxy; this process only counts for its log.
 */
import { Agent, request } from 'node:http';
import { isMainModule } from './main-module.js';
import { loadgenConfigSchema, type LoadgenConfig } from './types.js';

const TICK_MS = 5;

export interface LoadCounts {
  sent: number;
  completed: number;
  failed: number;
  skipped: number;
  inFlight: number;
}

function log(event: string, fields: object = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...fields })}\n`);
}

export interface Load {
  /** stop sending; resolves when in-flight requests have ended (or timed out) */
  stop: () => Promise<LoadCounts>;
  /** resolves when the load has stopped (durationSeconds passed, or stop()) */
  done: Promise<LoadCounts>;
  counts: () => LoadCounts;
}

export function runLoad(config: LoadgenConfig): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: config.maxInFlight, scheduling: 'lifo' });
  const counts: LoadCounts = { sent: 0, completed: 0, failed: 0, skipped: 0, inFlight: 0 };
  let next = 0;
  let stopped = false;
  const started = performance.now();
  let resolveDone: (counts: LoadCounts) => void = () => undefined;
  const done = new Promise<LoadCounts>((resolve) => {
    resolveDone = resolve;
  });

  const send = (path: string, attempt: number): void => {
    const req = request(new URL(path, config.url), { agent });
    req.setTimeout(config.timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => settle(true));
      res.on('error', () => settle(false));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket closed by the server as we reused it: retry once on a fresh one.
      if (req.reusedSocket && error.code === 'ECONNRESET' && attempt === 0) {
        send(path, 1);
        return;
      }
      settle(false);
    });
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      counts.inFlight--;
      if (ok) counts.completed++;
      else counts.failed++;
      if (stopped && counts.inFlight === 0) finish();
    };
    req.end();
  };

  const tick = (): void => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    if (config.durationSeconds !== undefined && elapsedSeconds >= config.durationSeconds) {
      void stop();
      return;
    }
    const due = Math.floor(elapsedSeconds * config.requestsPerSecond) + 1 - (counts.sent + counts.skipped);
    for (let i = 0; i < due; i++) {
      if (counts.inFlight >= config.maxInFlight) {
        counts.skipped++;
        continue;
      }
      const path = config.paths[next++ % config.paths.length] ?? '/';
      counts.sent++;
      counts.inFlight++;
      send(path, 0);
    }
  };

  const timer = setInterval(tick, TICK_MS);
  const progress = setInterval(() => log('progress', counts), 5_000);
  tick();

  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    agent.destroy();
    resolveDone({ ...counts });
  };

  const stop = (): Promise<LoadCounts> => {
    if (!stopped) {
      stopped = true;
      clearInterval(timer);
      clearInterval(progress);
      if (counts.inFlight === 0) finish();
      // In-flight requests end by their own timeout at the latest.
      setTimeout(finish, config.timeoutMs + 100).unref();
    }
    return done;
  };

  return { stop, done, counts: () => ({ ...counts }) };
}

async function main(): Promise<void> {
  const config = loadgenConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  const load = runLoad(config);
  log('started', { url: config.url, paths: config.paths, requestsPerSecond: config.requestsPerSecond });
  const onSignal = (signal: string): void => {
    // Do not wait for in-flight requests: whoever stops us has already taken its measurement.
    void load.stop();
    log('summary', { signal, ...load.counts() });
    process.exit(0);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const counts = await load.done;
  log('summary', counts);
  process.exit(0);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
