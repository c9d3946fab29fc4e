import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, keyRingFromEnv } from './codec.js';

export type EncryptionEnv = { PRPILOT_ENCRYPTION_KEY?: string; PRPILOT_ENCRYPTION_OLD_KEYS?: string };

/** The encryption codec when PRPILOT_ENCRYPTION_KEY is set, else null. Throws EnvError for a bad key. */
export function encryptionCodecFromEnv(env: EncryptionEnv): EncryptionCodec | null {
  const keys = keyRingFromEnv(env);
  return keys ? new EncryptionCodec(keys) : null;
}

/**
 * The DataConverter every prpilot client and worker uses: the default converters plus the encryption
 * codec when PRPILOT_ENCRYPTION_KEY is set; undefined (the SDK's default) without a key.
 */
export function dataConverterFromEnv(env: EncryptionEnv): DataConverter | undefined {
  const codec = encryptionCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
