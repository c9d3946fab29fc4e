import { sourcesSha256 } from './sourceHash.js';

/** sha256 over the policy modules' source: decisions made by code record which rules made them. */
export function policySourceSha256(): Promise<string> {
  return sourcesSha256(['workflows/policy']);
}
