/**
 * A file moved or copied without a change (a 100% rename) shows no mode in a diff: git prints only
 * `rename from`/`rename to`. A symbolic link moved that way looks like any other file, yet its target
 * now resolves from a new directory (`a/b/link -> ../../x` moved up to `a/link` points out of the
 * repository). So the links among those files are looked up at the head commit, and each one found is
 * shown to the detectors as the diff shows an added link: `symlink`, with its target as the one added line.
 */
import type { DiffFile } from '../../workflows/policy/diff.js';

/** What the head commit says each path is: a link's target, `null` when it could not tell; files that are not links are left out. */
export type LinkLookup = (paths: string[]) => Promise<Map<string, string | null>>;

/** Moved or copied files the diff shows nothing of: no line, no mode, no binary patch. */
export function unchangedMoves(files: DiffFile[]): DiffFile[] {
  return files.filter((file) => file.oldPath !== null && !file.symlink && !file.binary && file.added.length === 0 && file.removed.length === 0);
}

/** The files with each unchanged move that is a link at head shown as a link; the rest as they were. */
export async function revealMovedLinks(files: DiffFile[], lookUp: LinkLookup): Promise<DiffFile[]> {
  const moves = unchangedMoves(files);
  if (moves.length === 0) return files;
  const links = await lookUp([...new Set(moves.map((file) => file.path))]);
  if (links.size === 0) return files;
  const moved = new Set(moves);
  return files.map((file) => {
    if (!moved.has(file) || !links.has(file.path)) return file;
    const target = links.get(file.path) ?? null;
    return target === null
      ? { ...file, symlink: true as const, linkUnverified: true as const }
      : { ...file, symlink: true as const, added: [{ line: 1, text: target }] };
  });
}
