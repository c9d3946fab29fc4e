import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { installWorkerRuntime } from '../../workers/metrics.js';
import { temporalConnectionOptions } from '../../config/temporalConnection.js';
import { readEnv, workflowUrl, type PrpilotEnv } from '../../config/env.js';
import { isReachable } from '../../server/devServer.js';
import { startLocalServer } from '../../server/localServer.js';
import { ensureSearchAttributes } from '../../server/searchAttributes.js';
import { createWorkerRuntime } from '../../workers/runtime.js';
import type { Outcome } from '../../workflows/messages.js';
import type { PrResult } from '../../workflows/input.js';
import { sendApproval } from '../commands/approval.js';
import type { Io } from '../commands/command.js';
import { EXIT, CliError } from '../errors.js';
import { followRun } from '../follow.js';
import { preparePr, startPr } from '../startPr.js';
import { connectClient } from '../temporal.js';
import { buildDemoRepo, type DemoRepo } from './buildRepo.js';

const EXPECTED: Record<'clean' | 'risky' | 'bad', Outcome> = { clean: 'deployed', risky: 'deployed', bad: 'rolled_back' };
const REVIEWER = 'carol';

/** The three demo PRs through a real Temporal workflow: deployed, approved then deployed, rolled back. */
export async function runDemo(io: Io): Promise<number> {
  // The demo prints its own progress; the worker's per-decision log lines would drown it.
  const baseEnv = readEnv();
  installWorkerRuntime(baseEnv, { logger: new DefaultLogger('WARN') }, io.err);
  const server = await ensureServer(baseEnv, io);
  const env = readEnv({ ...process.env, TEMPORAL_ADDRESS: server.address, ...(server.uiUrl ? { PRPILOT_UI_URL: server.uiUrl } : {}) });
  const connection = await Connection.connect(temporalConnectionOptions(env));
  await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE).finally(() => connection.close());
  const runtime = await createWorkerRuntime(env, { log: io.err });
  const repo = await buildDemoRepo();
  io.out(`demo repo: ${repo.path} (base ${repo.base}; branches ${repo.branches.map((entry) => entry.branch).join(', ')})`);
  const client = await connectClient(env);
  let results: { key: keyof typeof EXPECTED; workflowId: string; result: PrResult }[];
  try {
    results = await runtime.worker.runUntil(() => runPullRequests(client, env, repo, io));
  } finally {
    await runtime.cleanup();
  }
  io.out('');
  io.out('PR      expected     outcome      workflow');
  let allExpected = true;
  for (const { key, workflowId, result } of results) {
    const ok = result.outcome === EXPECTED[key];
    allExpected &&= ok;
    io.out(`${key.padEnd(6)}  ${EXPECTED[key].padEnd(11)}  ${result.outcome.padEnd(11)}  ${workflowId} ${ok ? '' : '  <-- unexpected'}`);
  }
  io.out('');
  io.out(`See every run, its history and decisions in the Temporal UI: ${env.uiUrl}/namespaces/${env.TEMPORAL_NAMESPACE}/workflows`);
  io.out(`Read an audit trail: bin/prpilot audit ${results[1]?.workflowId ?? '<id>'} --format md`);
  if (server.started) {
    io.out(`The dev server keeps running for the UI (pid ${server.pid}, state in .prpilot/); stop it with: kill ${server.pid}`);
  }
  io.out(allExpected ? 'demo: all three PRs ended as expected' : 'demo: FAILED: not every PR ended as expected');
  return allExpected ? EXIT.ok : EXIT.error;
}

async function ensureServer(env: PrpilotEnv, io: Io): Promise<{ address: string; uiUrl: string | null; started: boolean; pid: number | null }> {
  if (await isReachable(env.TEMPORAL_ADDRESS)) {
    io.out(`using the Temporal server at ${env.TEMPORAL_ADDRESS}`);
    return { address: env.TEMPORAL_ADDRESS, uiUrl: null, started: false, pid: null };
  }
  if (process.env.TEMPORAL_ADDRESS) {
    throw new CliError(`TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} does not answer; unset it to let the demo start its own dev server`);
  }
  io.out('starting a Temporal dev server (state in .prpilot/, UI on :8233) ...');
  const server = await startLocalServer({ port: 7233, uiPort: 8233, detached: true, log: io.err });
  return { address: server.address, uiUrl: server.uiUrl, started: true, pid: server.pid };
}

async function runPullRequests(client: Client, env: PrpilotEnv, repo: DemoRepo, io: Io) {
  return Promise.all(repo.branches.map(async ({ pr, branch, number }) => {
    const say = (line: string) => io.out(`[${pr.key.padEnd(5)}] ${line}`);
    const { input, workflowId } = await preparePr({
      repo: repo.path, base: repo.base, head: branch, prNumber: number, title: pr.title, author: pr.author, description: pr.description,
    });
    const started = await startPr(client, env, input, workflowId);
    say(`started ${workflowId}: "${pr.title}" by ${pr.author}`);
    say(`UI: ${workflowUrl(env, workflowId, started.runId)}`);
    const startedAt = Date.now();
    let end = await followRun(client, workflowId, { print: say, untilBlocked: true, startedAt });
    if (end.kind === 'awaiting') {
      const reasons = end.status.approvalRequest?.reasons ?? [];
      if (pr.key === 'risky') {
        await approveLikeAHuman(client, workflowId, pr.author, reasons, say);
      } else {
        // Only the risky PR should need a human; ending the others keeps the demo honest about it.
        say(`unexpectedly waiting for a human (${reasons.join('; ')}); the demo rejects it`);
        await sendApproval(client, workflowId, 'reject', REVIEWER, 'demo: this PR was not expected to escalate');
      }
      end = await followRun(client, workflowId, { print: say, startedAt });
    }
    if (end.kind !== 'result') throw new Error(`unexpected follow end for ${workflowId}`);
    say(`outcome: ${end.result.outcome}: ${end.result.reason}`);
    return { key: pr.key, workflowId, result: end.result };
  }));
}

async function approveLikeAHuman(client: Client, workflowId: string, author: string, reasons: string[], say: (line: string) => void): Promise<void> {
  say(`waiting for a human: ${reasons.join('; ')}`);
  say('a human would type one of:');
  say(`    bin/prpilot approve ${workflowId} --by ${REVIEWER} --reason "migration reviewed"`);
  say(`    temporal workflow signal --workflow-id ${workflowId} --name approve --input '{"by":"${REVIEWER}","reason":"migration reviewed"}'`);
  const byAuthor = await sendApproval(client, workflowId, 'approve', author, 'LGTM (my own PR)');
  say(`the author ${author} tries to approve: ${byAuthor.attempt?.accepted ? 'accepted (!)' : `ignored: ${byAuthor.attempt?.why ?? 'no answer'}`}`);
  const byReviewer = await sendApproval(client, workflowId, 'approve', REVIEWER, 'migration reviewed');
  say(`${REVIEWER} approves: ${byReviewer.attempt?.accepted ? 'accepted' : `ignored: ${byReviewer.attempt?.why ?? 'no answer'}`}`);
}
