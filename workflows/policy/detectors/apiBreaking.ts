/**
 * API breaking: existing users must change something because a public name was removed or renamed.
 *
 *  1. `<kind>-removed`: a removed line declared a public surface (see surfaces.ts: TS/JS exports, Python
 *     defs in API modules, Go exported identifiers outside internal/ and cmd/, Rust `pub`, Java/C#
 *     `public`; routes; GraphQL types, fields, arguments and enum values; CLI flags; environment
 *     variables read; serializer/response-schema fields) and no added line anywhere in the diff declares
 *     the same name again. Removed and re-added elsewhere is a move; an old name kept as an alias or an
 *     env var still read as a fallback is not a break.
 *  2. `column-dropped`: a migration drops a column (SQL, Django, Rails, Alembic, Knex) or a Prisma model
 *     loses a field, and the name is not added back: whatever exposed that data no longer can.
 *  3. `route-file-removed`: a file-system route (Next.js `pages/api/…`, `app/…/route.ts`) was deleted.
 * Additive changes never count. Tests, docs, examples, fixtures, generated code, locales and CI files are
 * ignored.
 */
import type { DiffFile, DiffLine } from '../diff.js';
import { codeLines, evidence, type Evidence } from './lines.js';
import { isCiPath, isDocPath, isExamplePath, isGenerated, isLocale, isLockfile, isMigrationPath, isMigrationTooling, isSchemaFile, isTestPath } from './paths.js';
import { ADDED_SIDE, nameKey, REMOVED_SIDE, surfaces } from './surfaces.js';

export function detectApiBreaking(files: DiffFile[]): Evidence[] {
  const relevant = files.filter((f) => !f.binary && !isTestPath(f.path) && !isDocPath(f.path)
    && !isGenerated(f.path) && !isLocale(f.path) && !isLockfile(f.path) && !isCiPath(f.path) && !isExamplePath(f.path));
  const code = relevant.filter((f) => !isMigrationPath(f.path) && !isMigrationTooling(f.path));
  return [...removedSurfaces(code), ...droppedColumns(relevant), ...removedRouteFiles(files)];
}

function removedSurfaces(files: DiffFile[]): Evidence[] {
  const addedKeys = new Set<string>();
  const addedText: string[] = [];
  for (const f of files) {
    for (const l of joinExportLists(codeLines(f.added, f.path))) {
      addedText.push(l.text);
      for (const s of surfaces(l.text, f.path, ADDED_SIDE)) addedKeys.add(nameKey(s));
    }
  }
  const stillMentioned = (name: string) => addedText.some((t) => new RegExp(`\\b${name}\\b`).test(t));
  const found: Evidence[] = [];
  const reported = new Set<string>();
  for (const f of files) {
    const path = f.oldPath ?? f.path;
    for (const l of joinExportLists(codeLines(f.removed, path))) {
      for (const s of surfaces(l.text, path, REMOVED_SIDE)) {
        const key = nameKey(s);
        if (addedKeys.has(key) || reported.has(key)) continue;
        if (s.kind === 'env-var' && stillMentioned(s.name)) continue; // still read, or kept as a fallback
        reported.add(key);
        found.push(evidence(path, l, `${s.kind}-removed`, `${s.name}: ${l.text.trim()}`));
      }
    }
  }
  return found;
}

/** `export {` … `} from './x'` spread over consecutive lines becomes one line, as if written on one. */
function joinExportLists(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i];
    if (!start || !/^\s*export\s+(type\s+)?\{[^}]*$/.test(start.text)) {
      if (start) out.push(start);
      continue;
    }
    let text = start.text;
    let j = i;
    while (!text.includes('}') && lines[j + 1]?.line === (lines[j]?.line ?? 0) + 1) text += ` ${lines[++j]?.text.trim() ?? ''}`;
    out.push({ line: start.line, text });
    i = j;
  }
  return out;
}

const DROP_COLUMN: RegExp[] = [
  /\bDROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?[`"'[]?(\w+)/i, // SQL, TypeORM/Knex raw
  /\bremove_column\s*\(?\s*:\w+\s*,\s*:(\w+)/, // Rails
  /\bdrop_column\(\s*(?:['"]\w+['"]\s*,\s*)?['"](\w+)['"]/, // Alembic op / batch_op
  /\.dropColumns?\(\s*['"](\w+)['"]/, // Knex
];
const PRISMA_FIELD = /^\s+(\w+)\s+[A-Z]\w*(\[\])?\??(\s|$)/;

function droppedColumns(files: DiffFile[]): Evidence[] {
  const schemaFiles = files.filter((f) => isMigrationPath(f.path) || isSchemaFile(f.path));
  const drops: { file: string; line: DiffLine; name: string }[] = [];
  const addedLines: DiffLine[] = [];
  for (const f of schemaFiles) {
    const added = codeLines(f.added, f.path);
    addedLines.push(...added);
    added.forEach((l, i) => {
      const name = DROP_COLUMN.map((re) => re.exec(l.text)?.[1]).find(Boolean) ?? djangoRemoveField(added, i);
      if (name) drops.push({ file: f.path, line: l, name });
    });
    if (/\.prisma$/.test(f.path)) {
      for (const l of codeLines(f.removed, f.path)) {
        const name = PRISMA_FIELD.exec(l.text)?.[1];
        if (name) drops.push({ file: f.path, line: l, name });
      }
    }
  }
  const found = new Map<string, Evidence>();
  for (const d of drops) {
    const readded = addedLines.some((l) => l !== d.line && new RegExp(`\\b${d.name}\\b`).test(l.text) && !isDrop(l.text));
    if (!readded && !found.has(d.name)) found.set(d.name, evidence(d.file, d.line, 'column-dropped'));
  }
  return [...found.values()];
}

function isDrop(text: string): boolean {
  return DROP_COLUMN.some((re) => re.test(text)) || /RemoveField\(/.test(text);
}

/** `migrations.RemoveField(model_name="app", name="field")`, usually spread over a few lines. */
function djangoRemoveField(lines: DiffLine[], i: number): string | undefined {
  if (!/RemoveField\(/.test(lines[i]?.text ?? '')) return undefined;
  for (const l of lines.slice(i, i + 5)) {
    const name = /(?<![\w])name\s*=\s*["'](\w+)["']/.exec(l.text)?.[1];
    if (name) return name;
  }
  return undefined;
}

const ROUTE_FILE = /(^|\/)pages\/api\/.+\.[cm]?[jt]sx?$|(^|\/)app\/(.+\/)?route\.[cm]?[jt]s$/;

function removedRouteFiles(files: DiffFile[]): Evidence[] {
  const route = (p: string) => p.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/(index|route)$/, '');
  const present = new Set(files.filter((f) => f.status !== 'deleted' && ROUTE_FILE.test(f.path)).map((f) => route(f.path)));
  return files
    .filter((f) => !isTestPath(f.path))
    .flatMap((f) => (f.status === 'deleted' ? [f.path] : f.status === 'renamed' && f.oldPath ? [f.oldPath] : []))
    .filter((p) => ROUTE_FILE.test(p) && !present.has(route(p)))
    .map((p) => evidence(p, undefined, 'route-file-removed', `route ${route(p)} removed`));
}
