import { spawnTsx, stopChild, waitForOutput } from '/work/main/bench/lib/child.js';
import { benchPrInput, startPipeline } from '/work/main/bench/lib/pipeline.js';
import { benchDevServer, bundlePrpilotWorkflows } from '/work/main/bench/lib/temporal.js';
import { withWorkspace } from '/work/main/bench/lib/workspace.js';
import { cpuSecondsOf, memoryOf } from '/work/main/bench/lib/processStats.js';
import { setTimeout as sleep } from 'node:timers/promises';
const N = Number(process.argv[2] ?? 100);
const options = JSON.parse(process.argv[3] ?? '{}');
await withWorkspace('probe', async (ws) => {
  const bundle = await bundlePrpilotWorkflows(ws);
  const server = await benchDevServer(ws);
  const worker = spawnTsx('/work/main/bench/lib/scaleWorker.ts', [JSON.stringify({ address: server.address, taskQueue: 'q', bundlePath: bundle.codePath, home: ws.root, options })], { stdio: ['ignore', 'pipe', 'pipe'] });
  ws.onCleanup(async () => { await stopChild(worker); });
  await waitForOutput(worker, (o) => o.includes('ready'), 120000, 'w');
  worker.stderr?.on('data', (c: Buffer) => process.stderr.write(`[w] ${c}`));
  const t0 = Date.now();
  const hs = await Promise.all(Array.from({ length: N }, (_, i) => startPipeline(server.client, 'q', benchPrInput(`svc-${i}`), `pr-${i}`)));
  let done = 0; let last = 0; let lastChange = Date.now();
  const ac = new AbortController();
  hs.forEach((h) => server.client.withAbortSignal(ac.signal, () => h.result()).then(() => { done++; }, () => {}));
  while (done < N) {
    await sleep(2000);
    if (done !== last) { last = done; lastChange = Date.now(); }
    console.log(`${(Date.now() - t0) / 1000}s done ${done}/${N} rss ${Math.round(memoryOf(worker.pid!).rssBytes / 1048576)} cpu w ${cpuSecondsOf(worker.pid!)} s ${cpuSecondsOf(server.pid)}`);
    if (done > 0 && Date.now() - lastChange > 15000) break;
  }
  for (const h of [hs[0]!, hs[hs.length - 1]!]) {
    const hist = await h.fetchHistory();
    let prev = 0;
    for (const e of hist.events ?? []) {
      const t = Number(e.eventTime?.seconds) * 1000 + Number(e.eventTime?.nanos) / 1e6;
      const kind = Object.keys(e).find((k) => k.endsWith('Attributes'));
      const extra = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.markerRecordedEventAttributes?.markerName ?? e.workflowExecutionSignaledEventAttributes?.signalName ?? e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ?? '';
      console.log(h.workflowId, e.eventId, kind, extra, prev ? Math.round(t - prev) : 0);
      prev = t;
    }
  }
  for (const h of hs) {
    const d = await h.describe().catch(() => null);
    if (!d || d.status.name !== 'RUNNING') continue;
    const raw = d.raw;
    const pend = (raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} state=${a.state} attempt=${a.attempt} lastStarted=${a.lastStartedTime?.seconds} sched=${a.scheduledTime?.seconds} lastFailure=${a.lastFailure?.message}`);
    const hist = await h.fetchHistory();
    const evs = (hist.events ?? []).slice(-4).map((e) => `${e.eventId}:${Object.keys(e).find((k) => k.endsWith('Attributes'))}@${e.eventTime?.seconds}`);
    console.log(h.workflowId, 'pending:', pend.join(' | '), 'last events:', evs.join(', '), 'pendingWFT', JSON.stringify(raw.pendingWorkflowTask ?? null));
  }
  console.log('now', Math.floor(Date.now() / 1000));
  ac.abort();
});
