/** ApplicationFailure types that cross from activities to the workflow; one definition each. */
export const AGENT_OUTPUT_INVALID = 'AgentOutputInvalid';
/** prepareChange: the PR's diff is over the size limit (non-retryable: a retry cannot shrink it). */
export const DIFF_TOO_LARGE = 'DiffTooLarge';
