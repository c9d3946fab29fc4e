import { fileURLToPath } from 'node:url';
import { spawnTsx, stopChild, waitForOutput } from '/work/main/bench/lib/child.js';
import { benchPrInput, startPipeline } from '/work/main/bench/lib/pipeline.js';
import { benchDevServer, bundlePrpilotWorkflows } from '/work/main/bench/lib/temporal.js';
import { withWorkspace } from '/work/main/bench/lib/workspace.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
const N = Number(process.argv[2] ?? 20);
await withWorkspace('probe', async (ws) => {
  const bundle = await bundlePrpilotWorkflows(ws);
  const server = await benchDevServer(ws);
  const worker = spawnTsx('/work/main/bench/lib/scaleWorker.ts', [JSON.stringify({ address: server.address, taskQueue: 'q', bundlePath: bundle.codePath, home: ws.root, options: {} })], { stdio: ['ignore', 'pipe', 'pipe'] });
  ws.onCleanup(async () => { await stopChild(worker); });
  await waitForOutput(worker, (o) => o.includes('ready'), 120000, 'w');
  worker.stderr?.on('data', (c: Buffer) => process.stderr.write(`[w] ${c}`));
  const t0 = Date.now();
  const hs = await Promise.all(Array.from({ length: N }, (_, i) => startPipeline(server.client, 'q', benchPrInput(`svc-${i}`), `pr-${i}`)));
  let done = 0;
  hs.forEach((h) => h.result().then(() => { done++; }, () => {}));
  for (let s = 0; s < 60 && done < N; s++) { await sleep(2000); console.log(`${(Date.now() - t0) / 1000}s done ${done}/${N}`); }
  if (done < N) {
    const out = execFileSync(server.cliPath, ['workflow', 'list', '--address', server.address, '--query', 'ExecutionStatus="Running"', '--limit', '10'], { encoding: 'utf8' });
    console.log(out);
    for (const h of hs.slice(0, N)) {
      const d = await h.describe();
      if (d.status.name === 'RUNNING') {
        const hist = execFileSync(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', h.workflowId], { encoding: 'utf8' });
        console.log(hist.split('\n').slice(-25).join('\n'));
        const stack = execFileSync(server.cliPath, ['workflow', 'describe', '--address', server.address, '--workflow-id', h.workflowId], { encoding: 'utf8' });
        console.log(stack.slice(0, 3000));
        break;
      }
    }
  }
});
