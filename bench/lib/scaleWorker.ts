/**
 * The scale benchmark's worker, in a process of its own so its peak RSS and CPU are its own: prpilot's
 * worker (production options, overridden by `options`) with fast fake activities against `address`.
 * Prints {"event":"ready"} once polling; SIGTERM shuts it down.
 *
 *   node --import tsx bench/lib/scaleWorker.ts '<json: ScaleWorkerInput>'
 */
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { benchActivities } from './fakeActivities.js';
import { benchWorker } from './pipeline.js';

export const scaleWorkerInputSchema = z.object({
  address: z.string(),
  taskQueue: z.string(),
  bundlePath: z.string(),
  home: z.string(),
  options: z.object({
    maxCachedWorkflows: z.number().int().nonnegative().optional(),
    maxConcurrentWorkflowTaskExecutions: z.number().int().positive().optional(),
    maxConcurrentActivityTaskExecutions: z.number().int().positive().optional(),
    maxConcurrentLocalActivityExecutions: z.number().int().positive().optional(),
    workflowThreadPoolSize: z.number().int().positive().optional(),
    maxEagerActivityReservationsPerWorkflowTask: z.number().int().nonnegative().optional(),
  }),
});
export type ScaleWorkerInput = z.infer<typeof scaleWorkerInputSchema>;

const input = scaleWorkerInputSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
const connection = await NativeConnection.connect({ address: input.address });
const worker = await benchWorker({
  connection, taskQueue: input.taskQueue, home: input.home, workflowBundleCode: await readFile(input.bundlePath, 'utf8'),
  activities: benchActivities(), options: input.options,
});
process.once('SIGTERM', () => worker.shutdown());
// SCALE_MEMORY_LOG=1: where the worker's memory goes, every 5 s on stderr (the main isolate's heap and
// buffers; the rest of the RSS is the workflow thread's heap and the Rust core).
if (process.env.SCALE_MEMORY_LOG === '1') {
  const MiB = 1024 * 1024;
  setInterval(() => {
    const usage = process.memoryUsage();
    const mib = (bytes: number) => Math.round(bytes / MiB);
    process.stderr.write(`memory ${JSON.stringify({ rss: mib(usage.rss), heapUsed: mib(usage.heapUsed), heapTotal: mib(usage.heapTotal), external: mib(usage.external), arrayBuffers: mib(usage.arrayBuffers) })}\n`);
  }, 5_000).unref();
}
const running = worker.run();
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
await running;
await connection.close();
