/**
 * What the change does, found by code from the diff alone: the facts behind the deterministic gates
 * `schema_change`, `new_integration`, `secret` and `api_breaking`, and the symlinks out of the
 * repository that escalate through `risk_threshold`. Each detector documents its rules in
 * its own file. The result crosses an activity boundary, so it has a zod schema; each list is capped so
 * a huge diff cannot grow the workflow history (the cap never empties a list, so no gate is lost).
 */
import { z } from 'zod';
import type { DiffFile } from '../diff.js';
import { detectApiBreaking } from './apiBreaking.js';
import { evidenceSchema, type Evidence } from './lines.js';
import { detectNewIntegration } from './newIntegration.js';
import { detectSchemaChange } from './schemaChange.js';
import { detectSecret } from './secret.js';
import { detectUnsafeSymlinks } from './symlinks.js';
import { isVendored } from './paths.js';

export { evidenceSchema, type Evidence } from './lines.js';

export const MAX_EVIDENCE_PER_KIND = 20;

export const changeFindingsSchema = z.object({
  schemaChange: z.array(evidenceSchema),
  newIntegration: z.array(evidenceSchema),
  secret: z.array(evidenceSchema),
  apiBreaking: z.array(evidenceSchema),
  unsafeSymlink: z.array(evidenceSchema),
});
export type ChangeFindings = z.infer<typeof changeFindingsSchema>;
export type FindingKind = keyof ChangeFindings;

/**
 * Findings as a workflow history holds them: runs recorded before the symlink detector existed have no
 * `unsafeSymlink` (read as none). The workflow reads this type; the detectors always produce every list.
 */
export const recordedFindingsSchema = changeFindingsSchema.partial({ unsafeSymlink: true });
export type RecordedFindings = z.infer<typeof recordedFindingsSchema>;

/**
 * Vendored third-party code (vendor/, node_modules/, third_party/) is skipped by every detector but the
 * symlink one: a link out of the repository is dangerous wherever it sits.
 */
export function detectChange(allFiles: DiffFile[]): ChangeFindings {
  const files = allFiles.filter((f) => !isVendored(f.path));
  const cap = (list: Evidence[]) => list.slice(0, MAX_EVIDENCE_PER_KIND);
  return {
    schemaChange: cap(detectSchemaChange(files)),
    newIntegration: cap(detectNewIntegration(files)),
    secret: cap(detectSecret(files)),
    apiBreaking: cap(detectApiBreaking(files)),
    unsafeSymlink: cap(detectUnsafeSymlinks(allFiles)),
  };
}

export const noFindings = (): ChangeFindings => ({ schemaChange: [], newIntegration: [], secret: [], apiBreaking: [], unsafeSymlink: [] });
