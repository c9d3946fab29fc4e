/**
 * The code's own risk estimate of a change, an integer 1..10. Deterministic, from the diff and the
 * detectors' findings only; the review agent's score is a separate opinion (gates take the higher).
 *
 *   score = clamp(1, 10, 1 + Σ factor points)
 *
 * | factor          | points | when                                                                        |
 * |-----------------|--------|-----------------------------------------------------------------------------|
 * | size            | 0..3   | net changed code lines ≥ 30 / 150 / 500 (see below)                         |
 * | spread          | 1      | ≥ 15 non-test files touched                                                 |
 * | sensitive-area  | 2      | a path about auth, sessions, crypto, permissions, payments or billing       |
 * | infra           | 1      | CI, containers, IaC, deploy manifests                                       |
 * | config          | 1      | runtime configuration (config/ dirs, settings, env files, *.config.js)      |
 * | dependencies    | 1      | a dependency manifest or vendored third-party code changed                  |
 * | untested        | 1      | ≥ 20 net lines of production code and no test file changed                  |
 * | <finding kind>  | 2 each | schema change, new integration, API break, secret, symlink out of the repo   |
 * |                 |        | (once per kind)                                                             |
 *
 * Net changed lines: code lines (comments, blanks, lockfiles, generated files, docs and tests excluded)
 * after cancelling every removed line against an added line anywhere in the diff that differs only in
 * whitespace, quote style or a trailing `;`/`,`, so a large behaviour-preserving move or reformat scores
 * by what actually changed (at most 1 + 3 + 1 + 1 = 6 without a
 * sensitive area or a finding: size alone never escalates). A change touching only docs, tests,
 * styles or locales scores 1 plus its findings (a committed secret is risky anywhere).
 *
 * The findings' points keep the score honest about risk; the escalation for them comes from their own
 * gates, not from this score.
 */
import type { DiffFile } from './diff.js';
import type { ChangeFindings, FindingKind } from './detectors/index.js';
import { codeLines } from './detectors/lines.js';
import { displayPath } from './displayPath.js';
import { manifestParser } from './detectors/manifests.js';
import { isCode, isDocPath, isGenerated, isLocale, isLockfile, isStyle, isTestPath, isVendored } from './detectors/paths.js';

export interface RiskFactor { name: string; points: number; why: string }
export interface RiskAssessment { score: number; factors: RiskFactor[] }

export const RISK_BASE = 1;
export const RISK_MIN = 1;
export const RISK_MAX = 10;
/** [net changed lines, points], highest first. */
export const SIZE_STEPS: readonly (readonly [number, number])[] = [[500, 3], [150, 2], [30, 1]];
export const SPREAD_FILES = 15;
export const UNTESTED_MIN_LINES = 20;
export const AREA_POINTS = { 'sensitive-area': 2, infra: 1, config: 1, dependencies: 1, untested: 1, spread: 1 } as const;
export const FINDING_POINTS: Record<FindingKind, number> = { schemaChange: 2, newIntegration: 2, apiBreaking: 2, secret: 2, unsafeSymlink: 2 };

/** Path words (split on separators and camelCase) naming security- or money-critical code. */
export const SENSITIVE_WORDS: ReadonlySet<string> = new Set(['auth', 'authn', 'authz', 'authentication',
  'authorization', 'login', 'logout', 'signin', 'signup', 'session', 'sessions', 'password', 'passwords', 'oauth',
  'oauth2', 'oidc', 'saml', 'sso', 'jwt', 'mfa', '2fa', 'totp', 'crypto', 'encryption', 'encrypt', 'secrets',
  'permission', 'permissions', 'rbac', 'acl', 'security', 'csrf', 'payment', 'payments', 'billing', 'checkout',
  'invoice', 'invoices', 'subscription', 'subscriptions', 'wallet', 'ledger', 'refund', 'refunds']);
export const INFRA_PATH = /(^|\/)(Dockerfile[^/]*|[^/]*compose[^/]*\.ya?ml|Jenkinsfile|Procfile|\.gitlab-ci\.yml|fly\.toml|render\.ya?ml|vercel\.json|netlify\.toml|serverless\.ya?ml|[^/]*\.tf|[^/]*\.tfvars)$|(^|\/)(\.github\/workflows|\.circleci|terraform|helm|charts|k8s|kubernetes|deploy|deployment|infra|ansible)\//i;
export const CONFIG_PATH = /(^|\/)(config|configs|conf|settings|environments)\/|(^|\/)(settings\.py|\.env[^/]*|[^/]*\.config\.[cm]?[jt]s|application[^/]*\.(ya?ml|properties)|config\.(ya?ml|json|toml))$/i;

const FINDING_NAMES: Record<FindingKind, string> = {
  schemaChange: 'schema change', newIntegration: 'new service integration', apiBreaking: 'API-breaking change', secret: 'secret-like content',
  unsafeSymlink: 'symlink out of the repository',
};

export function assessRisk(files: DiffFile[], findings: ChangeFindings): RiskAssessment {
  const factors: RiskFactor[] = [];
  const add = (name: string, points: number, why: string) => { if (points > 0) factors.push({ name, points, why }); };
  const production = files.filter((f) => !isTestPath(f.path) && !isDocPath(f.path) && !isStyle(f.path) && !isLocale(f.path));

  if (production.length > 0) {
    const net = netChangedLines(production);
    const step = SIZE_STEPS.find(([min]) => net.lines >= min);
    add('size', step?.[1] ?? 0, `${net.lines} net changed code lines (${net.moved} moved lines not counted)`);
    const touched = production.filter((f) => !isLockfile(f.path) && !isGenerated(f.path));
    if (touched.length >= SPREAD_FILES) add('spread', AREA_POINTS.spread, `${touched.length} non-test files touched`);
    const own = production.filter((f) => !isVendored(f.path));
    area(add, 'sensitive-area', own, isSensitive, 'auth, crypto, permissions or payments code');
    area(add, 'infra', own, (p) => INFRA_PATH.test(p), 'CI, container or deployment files');
    area(add, 'config', own, (p) => CONFIG_PATH.test(p), 'runtime configuration');
    area(add, 'dependencies', production, (p) => manifestParser(p) !== null || isVendored(p), 'dependency manifest or vendored code');
    const testsChanged = files.some((f) => isTestPath(f.path));
    const codeNet = netChangedLines(production.filter((f) => isCode(f.path))).lines;
    if (!testsChanged && codeNet >= UNTESTED_MIN_LINES) {
      add('untested', AREA_POINTS.untested, `${codeNet} net lines of code changed and no test changed`);
    }
  }
  for (const kind of Object.keys(FINDING_POINTS) as FindingKind[]) {
    const list = findings[kind];
    if (list.length > 0) add(kind, FINDING_POINTS[kind], `${FINDING_NAMES[kind]} in ${filesOf(list.map((e) => e.file))}`);
  }
  const total = RISK_BASE + factors.reduce((sum, f) => sum + f.points, 0);
  return { score: Math.min(RISK_MAX, Math.max(RISK_MIN, total)), factors };
}

function area(add: (name: string, points: number, why: string) => void, name: keyof typeof AREA_POINTS,
  files: DiffFile[], test: (path: string) => boolean, what: string): void {
  const hits = files.filter((f) => test(f.path)).map((f) => f.path);
  if (hits.length > 0) add(name, AREA_POINTS[name], `${what}: ${filesOf(hits)}`);
}

export function isSensitive(path: string): boolean {
  return path.split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])/).some((w) => SENSITIVE_WORDS.has(w.toLowerCase()));
}

/** A line's identity across a move or a reformat: whitespace, quote style and trailing `;`/`,` ignored. */
const shape = (text: string): string => text.replace(/\s+/g, '').replace(/[;,]+$/, '').replace(/['`]/g, '"');

/** Code lines changed, after cancelling removed lines against identical added lines anywhere (moves). */
export function netChangedLines(files: DiffFile[]): { lines: number; moved: number } {
  const counted = files.filter((f) => !f.binary && !isLockfile(f.path) && !isGenerated(f.path));
  const pool = new Map<string, number>();
  let removed = 0;
  for (const f of counted) {
    for (const l of codeLines(f.removed, f.oldPath ?? f.path)) {
      pool.set(shape(l.text), (pool.get(shape(l.text)) ?? 0) + 1);
      removed++;
    }
  }
  let added = 0;
  let moved = 0;
  for (const f of counted) {
    for (const l of codeLines(f.added, f.path)) {
      const n = pool.get(shape(l.text)) ?? 0;
      if (n > 0) {
        pool.set(shape(l.text), n - 1);
        moved++;
      } else {
        added++;
      }
    }
  }
  return { lines: added + (removed - moved), moved: moved * 2 };
}

function filesOf(paths: string[]): string {
  const unique = [...new Set(paths)].map(displayPath);
  return unique.length <= 3 ? unique.join(', ') : `${unique.slice(0, 3).join(', ')} and ${unique.length - 3} more`;
}
