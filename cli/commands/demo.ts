import { helpOption, parseCommandArgs } from '../args.js';
import { runDemo } from '../demo/runDemo.js';
import type { Command } from './command.js';

const spec = {
  name: 'demo',
  summary: 'three PRs through a real workflow: one deployed, one approved by a human then deployed, one rolled back',
  usage: 'prpilot demo',
  details: [
    'Uses the Temporal server at TEMPORAL_ADDRESS if one answers, else starts a dev server (left running for the UI).',
    'Builds a throw-away git repo from examples/demo-service, runs a worker, and exits 0 only if all three end as expected.',
  ].join('\n'),
  options: { ...helpOption },
} as const;

export const demoCommand: Command = {
  spec,
  async run(argv, io) {
    parseCommandArgs(spec, argv);
    return runDemo(io);
  },
};
