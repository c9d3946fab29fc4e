/**
 * One real Temporal dev server per test file, a temp dir, the environment the CLI runs with, and the
 * checks that "nothing was started or changed": the workflows visibility lists and a run's history length.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runCli } from '../../helpers/cli.js';
import { startTestDevServer } from '../../helpers/temporal.js';

export interface World {
  server: Awaited<ReturnType<typeof startTestDevServer>>;
  /** A temp dir removed at stop; PRPILOT_HOME is `<dir>/home`. */
  dir: string;
  /** The environment every CLI call of the file runs with: this server, this home, the offline agents. */
  env: NodeJS.ProcessEnv;
  client: Client;
  /** Ids of every workflow execution in the namespace, from visibility. */
  workflowIds(): Promise<string[]>;
  /** The number of events in the history of `workflowId` (the latest run). */
  historyLength(workflowId: string): Promise<number>;
  /** `prpilot list --json` through the real CLI must show exactly `expected` (ids, any order). */
  assertListed(expected: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorld(name: string): Promise<World> {
  const server = await startTestDevServer();
  const dir = await mkdtemp(path.join(tmpdir(), `prpilot-bad-input-${name}-`));
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default', PRPILOT_HOME: path.join(dir, 'home'),
    PRPILOT_LLM: 'offline', PRPILOT_UI_URL: server.uiUrl,
    // Empty counts as unset: the outer environment must not change what these cases see.
    ANTHROPIC_API_KEY: '', PRPILOT_ENCRYPTION_KEY: '', PRPILOT_CODEC_TOKEN: '', GITHUB_TOKEN: '', PRPILOT_WEBHOOK_SECRET: '',
  };
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    server, dir, env, client,
    async workflowIds() {
      const ids: string[] = [];
      for await (const execution of client.workflow.list()) ids.push(execution.workflowId);
      return ids.sort();
    },
    async historyLength(workflowId) {
      return (await client.workflow.getHandle(workflowId).describe()).historyLength;
    },
    async assertListed(expected) {
      const list = await runCli(['list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const ids = (JSON.parse(list.stdout) as { workflowId: string }[]).map((row) => row.workflowId).sort();
      assert.deepEqual(ids, [...expected].sort());
    },
    async stop() {
      await connection.close();
      await server.stop();
      await rm(server.dir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
