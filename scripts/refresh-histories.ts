/**
 * Re-records test/histories/*.json: runs `prpilot demo` against a private dev server and saves the
 * history of each of its three PRs. Run after a deliberate, patched() workflow change:
 *   npm run histories
 * Keep the old files too (rename them to v<N>-demo-*.json) when the change must still replay old histories.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, runProgram } from '../test/helpers/cli.js';
import { startTestDevServer } from '../test/helpers/temporal.js';

const out = fileURLToPath(new URL('../test/histories/', import.meta.url));
const server = await startTestDevServer();
const home = await mkdtemp(path.join(tmpdir(), 'prpilot-histories-'));
try {
  // Saved histories are plain (replay tests run without a key), even if the shell exports PRPILOT_ENCRYPTION_KEY.
  const demo = await runCli(['demo'], { TEMPORAL_ADDRESS: server.address, PRPILOT_HOME: home, PRPILOT_LLM: 'offline', PRPILOT_ENCRYPTION_KEY: '' }, { timeoutMs: 600_000 });
  if (demo.code !== 0) throw new Error(`demo failed:\n${demo.stdout}\n${demo.stderr}`);
  for (const key of ['clean', 'risky', 'bad']) {
    const row = demo.stdout.split('\n').find((line) => line.startsWith(`${key} `));
    const workflowId = row?.trim().split(/\s+/)[3];
    if (!workflowId) throw new Error(`no workflow id for ${key} in the demo output`);
    // The temporal CLI's JSON is the format replay (historyFromJSON) reads.
    const shown = await runProgram(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json']);
    if (shown.code !== 0) throw new Error(`temporal workflow show failed: ${shown.stderr}`);
    const history = JSON.parse(shown.stdout) as { events: unknown[] };
    const file = path.join(out, `demo-${key}.json`);
    await writeFile(file, `${JSON.stringify(history, null, 1)}\n`);
    console.log(`${file}: ${history.events.length} events`);
  }
} finally {
  await server.stop();
  await rm(server.dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
}
