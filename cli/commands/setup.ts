import { readEnv } from '../../config/env.js';
import { ensureSearchAttributes, REQUIRED_SEARCH_ATTRIBUTES } from '../../server/searchAttributes.js';
import { helpOption, jsonOption, parseCommandArgs } from '../args.js';
import { EXIT } from '../errors.js';
import { connectTemporal } from '../temporal.js';
import type { Command } from './command.js';

const spec = {
  name: 'setup',
  summary: "registers prpilot's search attributes on the namespace (idempotent)",
  usage: 'prpilot setup [--json]',
  details: `Registers ${REQUIRED_SEARCH_ATTRIBUTES.map((attribute) => `${attribute.name} (${attribute.type})`).join(', ')} on TEMPORAL_NAMESPACE at TEMPORAL_ADDRESS.`,
  options: { ...helpOption, ...jsonOption },
} as const;

export const setupCommand: Command = {
  spec,
  async run(argv, io) {
    const { values } = parseCommandArgs(spec, argv);
    const env = readEnv();
    const { connection } = await connectTemporal(env);
    const added = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    if (values.json) io.out(JSON.stringify({ namespace: env.TEMPORAL_NAMESPACE, added }));
    else io.out(added.length ? `registered ${added.join(', ')} on namespace ${env.TEMPORAL_NAMESPACE}` : `namespace ${env.TEMPORAL_NAMESPACE} already has every prpilot search attribute`);
    return EXIT.ok;
  },
};
