/** `npm run build`: bundles the workflow code once, so `prpilot worker` starts without bundling. */
import { buildWorkflowBundle } from '../workers/bundle.js';
import { WORKFLOWS_PATH } from '../workers/worker.js';

const file = await buildWorkflowBundle(WORKFLOWS_PATH);
console.log(`workflow bundle written to ${file}`);
