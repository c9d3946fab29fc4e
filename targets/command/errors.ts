export type CommandTargetErrorCode =
  | 'step_failed' // the script exited non-zero (or was killed by a signal): retry it
  | 'step_timeout' // the script ran past timeoutSeconds and was killed: retry it
  | 'invalid_config' // the config or the script itself is wrong (missing, not executable)
  | 'invalid_argument' // a bad deployment id or percent, or a spec that contradicts the ledger
  | 'invalid_state' // a step that makes no sense any more (promote after rollback, anything after stop)
  | 'unknown_deployment' // no ledger for this id: startCanary never ran here
  | 'checkout_missing'; // the stable checkout the scripts come from is gone

const RETRYABLE: Record<CommandTargetErrorCode, boolean> = {
  step_failed: true,
  step_timeout: true,
  invalid_config: false,
  invalid_argument: false,
  invalid_state: false,
  unknown_deployment: false,
  checkout_missing: false,
};

/** Errors of the command target; `code` and `retryable` let the activity layer choose how Temporal retries. */
export class CommandTargetError extends Error {
  override readonly name = 'CommandTargetError';
  readonly retryable: boolean;

  constructor(
    readonly code: CommandTargetErrorCode,
    message: string,
    /** The failed run's captured output in the artifact store, when a script ran. */
    readonly outputSha256: string | null = null,
  ) {
    super(message);
    this.retryable = RETRYABLE[code];
  }
}
