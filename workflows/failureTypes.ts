/** ApplicationFailure types that cross from activities to the workflow; one definition each. */
export const AGENT_OUTPUT_INVALID = 'AgentOutputInvalid';
/** prepareChange: the PR's diff is over the size limit (non-retryable: a retry cannot shrink it). */
export const DIFF_TOO_LARGE = 'DiffTooLarge';
/** prepareChange: the diff is empty, binary only or not UTF-8 (non-retryable). */
export const UNUSABLE_DIFF = 'UnusableDiff';
