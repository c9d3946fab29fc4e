/**
 * The worker's workflow memory, sized from one number. Workflow code runs in one worker thread (the
 * SDK's reused V8 context), where every cached workflow keeps its own instance of every workflow module
 * but the shared ones (workers/bundle.ts): about 0.7 MB each, mostly our zod schemas (1.4 MB before zod
 * itself was shared; docs/scaling.md). Left alone, V8 sizes that thread's heap from the machine's memory
 * (4 GiB here) and collects lazily: a worker running 300 PRs grew past 1.7 GiB. Capping the thread's
 * heap and sizing the cache to fit it bounds the worker's memory (bench/scale.ts).
 */
import v8 from 'node:v8';

/** Heap per cached workflow, with room for its state and a replay in flight (0.7 MB measured). */
const MB_PER_CACHED_WORKFLOW = 0.9;
/** What the thread's heap holds besides the cache: the SDK, the bundle's code, activations in flight. */
const BASE_MB = 240;
export const DEFAULT_WORKFLOW_MEMORY_MB = 640;
export const MIN_WORKFLOW_MEMORY_MB = 320;

export interface WorkflowMemoryPlan {
  /** the workflow thread's old-generation heap limit */
  heapMb: number;
  maxCachedWorkflows: number;
}

export function workflowMemoryPlan(heapMb: number = DEFAULT_WORKFLOW_MEMORY_MB): WorkflowMemoryPlan {
  if (!Number.isInteger(heapMb) || heapMb < MIN_WORKFLOW_MEMORY_MB) {
    throw new RangeError(`workflow memory must be a whole number of MB, at least ${MIN_WORKFLOW_MEMORY_MB} (got ${heapMb})`);
  }
  return { heapMb, maxCachedWorkflows: Math.floor((heapMb - BASE_MB) / MB_PER_CACHED_WORKFLOW) };
}

/**
 * Caps the heap of V8 isolates created from now on, which includes the workflow thread a Worker starts
 * (the SDK offers no option for it); the main thread's heap, already created, keeps its own limit.
 */
export function capWorkflowThreadHeap(plan: WorkflowMemoryPlan): void {
  v8.setFlagsFromString(`--max-old-space-size=${plan.heapMb}`);
}
