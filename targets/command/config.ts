/**
 * Config of the `command` deploy target: the user's scripts for each deploy step (docs/command-target.md).
 * A relative argv[0] such as `./deploy/canary.sh` is resolved against the STABLE (base commit) checkout,
 * and every script runs there: a pull request cannot change how it is itself deployed.
 */
import { z } from 'zod';

const isRelativePath = (program: string): boolean => program.includes('/') && !program.startsWith('/');

const argvSchema = z
  .array(z.string().min(1))
  .min(1)
  .refine((argv) => !(argv[0] !== undefined && isRelativePath(argv[0]) && argv[0].split('/').includes('..')), {
    message: 'a relative program path must stay inside the checkout (no ".." segments)',
  });

/** Extra variables for the scripts. PRPILOT_* names are the target's own and cannot be set here. */
const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  .refine((name) => !name.startsWith('PRPILOT_'), { message: 'PRPILOT_* variables are set by prpilot itself' });

export const commandTargetConfigSchema = z.strictObject({
  /** Deploys the canary version next to stable, at PRPILOT_PERCENT of the traffic. */
  deployCanary: argvSchema,
  /** Sets the canary's share of traffic to PRPILOT_PERCENT. */
  setWeight: argvSchema,
  /** Sends all traffic to the canary version (it becomes stable). */
  promote: argvSchema,
  /** Sends no traffic to the canary; stable keeps serving. */
  rollback: argvSchema,
  /** Releases what the deployment holds (e.g. deletes the canary Deployment); nothing runs if absent. */
  stop: argvSchema.optional(),
  /** Per step: past this the script's whole process group is killed and the step reported as timed out. */
  timeoutSeconds: z.number().int().min(1).max(86_400).default(300),
  env: z.record(envNameSchema, z.string()).default({}),
});
export type CommandTargetConfig = z.infer<typeof commandTargetConfigSchema>;
export type CommandTargetConfigInput = z.input<typeof commandTargetConfigSchema>;
