/**
 * How one step's script is invoked: which program (a relative path from the stable checkout, an absolute
 * path, or a name on PATH), and with which environment.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { CommandTargetError } from './errors.js';
import type { LedgerSpec, StepName } from './ledger.js';

/** The worker's own credentials and settings, never handed to deploy scripts. */
const WITHHELD_ENV = [/^PRPILOT_/, /^ANTHROPIC_/, /^GITHUB_TOKEN$/];

export interface StepVariables {
  deploymentId: string;
  step: StepName;
  idempotencyKey: string;
  spec: LedgerSpec;
  percent: number | null;
}

export function stepEnv(baseEnv: NodeJS.ProcessEnv, extra: Record<string, string>, vars: StepVariables): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (value !== undefined && !WITHHELD_ENV.some((pattern) => pattern.test(name))) env[name] = value;
  }
  Object.assign(env, extra, {
    PRPILOT_DEPLOYMENT_ID: vars.deploymentId,
    PRPILOT_SERVICE: vars.spec.service,
    PRPILOT_STEP: vars.step,
    PRPILOT_VERSION: vars.spec.canary.sha,
    PRPILOT_STABLE_VERSION: vars.spec.stable.sha,
    PRPILOT_CANARY_DIR: vars.spec.canary.dir,
    PRPILOT_STABLE_DIR: vars.spec.stable.dir,
    PRPILOT_IDEMPOTENCY_KEY: vars.idempotencyKey,
  });
  if (vars.percent !== null) env.PRPILOT_PERCENT = String(vars.percent);
  return env;
}

const isExecutableFile = async (file: string): Promise<boolean> => {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * argv with its program made absolute: `./deploy/x.sh` against the stable checkout, `kubectl` from PATH.
 * A missing or non-executable program is a config error (retrying will not fix it).
 */
export async function resolveArgv(argv: string[], stableDir: string, env: NodeJS.ProcessEnv, configField: string): Promise<string[]> {
  const [program, ...args] = argv;
  if (program === undefined) throw new CommandTargetError('invalid_config', `${configField} is empty`);
  const dirExists = await stat(stableDir).then((info) => info.isDirectory(), () => false);
  if (!dirExists) {
    throw new CommandTargetError('checkout_missing', `the stable checkout ${stableDir} is gone; deploy scripts run from it, so it must live until the deployment is stopped`);
  }
  if (program.includes('/')) {
    const file = path.resolve(stableDir, program);
    if (!(await isExecutableFile(file))) {
      const where = path.isAbsolute(program) ? file : `${file} (relative paths are resolved against the stable checkout: deploy scripts come from the base commit)`;
      throw new CommandTargetError('invalid_config', `${configField}: ${program} is not an executable file: ${where}; check the path, or chmod +x it, or run it through its interpreter, e.g. ["bash", "${program}"]`);
    }
    return [file, ...args];
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter((entry) => entry.length > 0)) {
    const file = path.resolve(stableDir, dir, program);
    if (await isExecutableFile(file)) return [file, ...args];
  }
  throw new CommandTargetError('invalid_config', `${configField}: ${program} was not found on the worker's PATH (${env.PATH ?? 'unset'})`);
}
