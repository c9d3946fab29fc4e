import { sha256Hex } from '../artifacts/store.js';
import { canonicalJson } from '../../workflows/records.js';

/** A decision record's hash: sha256 of its canonical JSON. Sealing and `prpilot audit` both use this. */
export function hashRecord(record: unknown): string {
  return sha256Hex(canonicalJson(record));
}
