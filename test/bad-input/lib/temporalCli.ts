/** The real `temporal` CLI (the dev server's binary), as an operator without prpilot would use it. */
import { runProgram, type CliRun } from '../../helpers/cli.js';

export function temporalSignal(server: { cliPath: string; address: string }, workflowId: string, name: string, input: string): Promise<CliRun> {
  return runProgram(server.cliPath, [
    'workflow', 'signal', '--address', server.address, '--namespace', 'default',
    '--workflow-id', workflowId, '--name', name, '--input', input,
  ]);
}
