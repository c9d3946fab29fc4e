import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { PrpilotEnv } from '../config/env.js';
import { CliError } from './errors.js';
import { temporalConnectionOptions } from '../config/temporalConnection.js';
import { dataConverterFromEnv } from '../workers/dataConverter.js';
import { clientTracingInterceptors } from '../workers/telemetry.js';

export async function connectClient(env: PrpilotEnv): Promise<Client> {
  return (await connectTemporal(env)).client;
}

export async function connectTemporal(env: PrpilotEnv): Promise<{ client: Client; connection: Connection }> {
  // Payloads are encrypted and decrypted by the client when PRPILOT_ENCRYPTION_KEY is set (a bad key is an EnvError).
  const dataConverter = dataConverterFromEnv(env);
  // With PRPILOT_OTEL=1 the trace starts here and continues in the workflow and its activities.
  const interceptors = await clientTracingInterceptors(env);
  try {
    const connection = await Connection.connect({ ...temporalConnectionOptions(env), connectTimeout: '5 seconds' });
    return { client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter, interceptors }), connection };
  } catch (error) {
    throw new CliError(
      `cannot reach Temporal at ${env.TEMPORAL_ADDRESS}: ${(error as Error).message}\n` +
      'start a local one with `prpilot dev` (or `npm run demo`), or set TEMPORAL_ADDRESS to your cluster',
    );
  }
}

/** The workflow's description, or a clear error when no workflow has that id. */
export async function describeOrExplain(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError || (error as { code?: number }).code === 5) {
      throw new CliError(`no workflow with id ${JSON.stringify(workflowId)} in namespace ${client.options.namespace} (see \`prpilot list\`)`);
    }
    throw error;
  }
}
