/** How clients and workers connect to Temporal: the address, and with TEMPORAL_API_KEY, TLS and the key. */
import type { PrpilotEnv } from './env.js';

export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  tls?: boolean;
}

export function temporalConnectionOptions(env: Pick<PrpilotEnv, 'TEMPORAL_ADDRESS' | 'TEMPORAL_API_KEY'>, address = env.TEMPORAL_ADDRESS): TemporalConnectionOptions {
  // An API key travels only over TLS (Temporal Cloud requires both).
  return env.TEMPORAL_API_KEY ? { address, apiKey: env.TEMPORAL_API_KEY, tls: true } : { address };
}
