import { EnvError } from '../config/env.js';
import { ConfigError } from '../config/load.js';
import { helpText } from './args.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { Command, Io } from './commands/command.js';
import { commands } from './commands/index.js';
import { PayloadDecryptionError } from '../workers/codec.js';
import { flushTracing } from '../workers/telemetry.js';

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function overview(): string {
  const width = Math.max(...commands.map((command) => command.spec.name.length));
  return [
    'prpilot: takes pull requests to production through AI agents on Temporal.',
    '',
    'usage: prpilot <command> [options]     (prpilot <command> --help for its options)',
    '',
    ...commands.map((command) => `  ${command.spec.name.padEnd(width)}  ${command.spec.summary}`),
    '',
    'Exit codes: 0 ok/deployed, 1 error, 2 usage or config error, 3 awaiting approval,',
    '10 rolled_back, 11 rejected, 12 expired, 13 failed.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command: Command | undefined = commands.find((candidate) => candidate.spec.name === name);
  if (!command) {
    io.err(`prpilot: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(helpText(command.spec));
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof EnvError) {
      io.err(`prpilot ${name}: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof CliError || error instanceof PayloadDecryptionError) {
      io.err(`prpilot ${name}: ${error.message}`);
      return EXIT.error;
    }
    io.err(`prpilot ${name}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return EXIT.error;
  }
}

main(process.argv.slice(2)).then(
  // Exit explicitly: an open Temporal connection would otherwise keep the process alive.
  async (code) => {
    await flushTracing(); // spans of this command, when PRPILOT_OTEL is on
    process.exit(code);
  },
  (error: unknown) => { io.err(String(error)); process.exit(EXIT.error); },
);
