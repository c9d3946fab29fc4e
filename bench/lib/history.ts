/** A workflow's history as `temporal workflow show --output json` prints it, and what it weighs. */
import { runProgram } from '../../test/helpers/cli.js';
import type { BenchServer } from './temporal.js';

export interface HistoryWeight {
  events: number;
  /** bytes of the CLI's JSON output */
  jsonBytes: number;
  /** decoded bytes of every payload in the history (data plus metadata) */
  payloadBytes: number;
  /** the largest single payload, decoded */
  largestPayloadBytes: number;
  eventTypes: Record<string, number>;
}

export async function showHistory(server: Pick<BenchServer, 'address' | 'cliPath'>, workflowId: string): Promise<{ json: string; events: { eventType: string }[] }> {
  const shown = await runProgram(server.cliPath, ['workflow', 'show', '--address', server.address, '--workflow-id', workflowId, '--output', 'json']);
  if (shown.code !== 0) throw new Error(`temporal workflow show ${workflowId} failed: ${shown.stderr}`);
  const parsed = JSON.parse(shown.stdout) as { events?: { eventType: string }[] };
  return { json: shown.stdout, events: parsed.events ?? [] };
}

export async function historyWeight(server: Pick<BenchServer, 'address' | 'cliPath'>, workflowId: string): Promise<HistoryWeight> {
  const { json, events } = await showHistory(server, workflowId);
  const payloads = payloadSizes(JSON.parse(json));
  const eventTypes: Record<string, number> = {};
  for (const event of events) {
    const type = event.eventType.replace(/^EVENT_TYPE_/, '');
    eventTypes[type] = (eventTypes[type] ?? 0) + 1;
  }
  return {
    events: events.length,
    jsonBytes: Buffer.byteLength(json),
    payloadBytes: payloads.reduce((sum, size) => sum + size, 0),
    largestPayloadBytes: Math.max(0, ...payloads),
    eventTypes,
  };
}

/** Every payload (an object with base64 `data` and a `metadata` map) anywhere in the JSON, as decoded sizes. */
function payloadSizes(node: unknown, sizes: number[] = []): number[] {
  if (Array.isArray(node)) {
    for (const item of node) payloadSizes(item, sizes);
  } else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.metadata === 'object' && record.metadata !== null && ('data' in record || Object.keys(record).length === 1)) {
      const metadata = Object.values(record.metadata as Record<string, unknown>).reduce<number>((sum, value) => sum + (typeof value === 'string' ? Buffer.from(value, 'base64').length : 0), 0);
      sizes.push(metadata + (typeof record.data === 'string' ? Buffer.from(record.data, 'base64').length : 0));
      return sizes;
    }
    for (const value of Object.values(record)) payloadSizes(value, sizes);
  }
  return sizes;
}
