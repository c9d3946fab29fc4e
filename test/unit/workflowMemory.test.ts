import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { readEnv } from '../../config/env.js';
import { capWorkflowThreadHeap, DEFAULT_WORKFLOW_MEMORY_MB, workflowMemoryPlan } from '../../workers/workflowMemory.js';

/** The heap limit, in MB, of a worker thread started now (as the SDK starts its workflow thread). */
function newThreadHeapLimitMb(): Promise<number> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(
      "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20)",
      { eval: true },
    );
    thread.once('message', (limit: number) => resolve(limit));
    thread.once('error', reject);
  });
}

describe('workflow memory', () => {
  it('sizes the workflow cache from the thread heap', () => {
    assert.deepEqual(workflowMemoryPlan(640), { heapMb: 640, maxCachedWorkflows: 444 });
    assert.equal(workflowMemoryPlan().heapMb, DEFAULT_WORKFLOW_MEMORY_MB);
    assert.ok(workflowMemoryPlan(2048).maxCachedWorkflows > 2000);
  });

  it('refuses a heap too small for the SDK and the bundle', () => {
    assert.throws(() => workflowMemoryPlan(100), /workflow memory must be a whole number of MB, at least 320 \(got 100\)/);
    assert.throws(() => workflowMemoryPlan(512.5), /got 512.5/);
  });

  it('caps the heap of the workflow thread a worker starts afterwards', async () => {
    capWorkflowThreadHeap(workflowMemoryPlan(400));
    const after = await newThreadHeapLimitMb();
    // old generation 400 MB plus the young generation V8 adds on top
    assert.ok(after >= 400 && after < 500, `capped thread heap: ${after} MB`);
  });

  it('reads PRPILOT_WORKFLOW_MEMORY_MB, refusing values below the minimum', () => {
    assert.equal(readEnv({}).PRPILOT_WORKFLOW_MEMORY_MB, 640);
    assert.equal(readEnv({ PRPILOT_WORKFLOW_MEMORY_MB: '1024' }).PRPILOT_WORKFLOW_MEMORY_MB, 1024);
    assert.throws(() => readEnv({ PRPILOT_WORKFLOW_MEMORY_MB: '64' }), /environment: PRPILOT_WORKFLOW_MEMORY_MB .*320.* \(got "64"\)/);
  });
});
