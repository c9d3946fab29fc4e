/** ApplicationFailure types that cross from activities to the workflow; one definition each. */
export const AGENT_OUTPUT_INVALID = 'AgentOutputInvalid';
