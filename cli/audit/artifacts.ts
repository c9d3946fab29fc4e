import { createArtifactStore, type ArtifactStore } from '../../activities/artifacts/store.js';
import type { DecisionRecord } from '../../workflows/records.js';

/**
 * In a record's details, every field named `…Sha256` is a claim check: the content (a diff, a test
 * log, a canary's verdict log, an incident report) is in the artifact store under that hash. The
 * chain seals the hashes; checking the store shows the content behind them is still the sealed one.
 */
const CLAIM_CHECK_FIELD = /Sha256$/;

export interface ArtifactReference {
  seq: number;
  /** where in the record's details, e.g. `details.report.outputSha256` */
  field: string;
  sha256: string;
}

export interface ArtifactCheck extends ArtifactReference {
  /** null when the store holds content hashing to sha256 */
  problem: string | null;
}

export function artifactReferences(records: DecisionRecord[]): ArtifactReference[] {
  const references: ArtifactReference[] = [];
  const visit = (seq: number, field: string, value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(seq, `${field}[${index}]`, item));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (CLAIM_CHECK_FIELD.test(key) && inner !== null) references.push({ seq, field: `${field}.${key}`, sha256: String(inner) });
        else visit(seq, `${field}.${key}`, inner);
      }
    }
  };
  for (const record of records) visit(record.seq, 'details', record.details);
  return references;
}

/** What `audit --artifacts` found: the store it read and each claim check in the records. */
export interface ArtifactAudit {
  store: string;
  checks: ArtifactCheck[];
}

export async function auditArtifacts(records: DecisionRecord[], storeRoot: string): Promise<ArtifactAudit> {
  return { store: storeRoot, checks: await checkArtifacts(artifactReferences(records), createArtifactStore(storeRoot)) };
}

/** One line per claim check that did not verify. */
export function artifactProblems(audit: ArtifactAudit): string[] {
  return audit.checks.filter((check) => check.problem !== null).map((check) => `record ${check.seq} ${check.field}: ${check.problem}`);
}

/** Reads each referenced artifact once; the store itself refuses content that does not hash to its name. */
export async function checkArtifacts(references: ArtifactReference[], store: ArtifactStore): Promise<ArtifactCheck[]> {
  const problems = new Map<string, Promise<string | null>>();
  const problemOf = (sha256: string): Promise<string | null> => {
    const known = problems.get(sha256);
    if (known) return known;
    const checked = store.get(sha256).then(() => null, (error: unknown) => (error instanceof Error ? error.message : String(error)));
    problems.set(sha256, checked);
    return checked;
  };
  return Promise.all(references.map(async (reference) => ({ ...reference, problem: await problemOf(reference.sha256) })));
}
