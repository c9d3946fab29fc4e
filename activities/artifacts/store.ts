import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Content-addressed store (claim check): large inputs live here and only their sha256 enters the
 * workflow history, so history size does not grow with diff or log size.
 */
export interface ArtifactStore {
  put(content: string | Buffer): Promise<{ sha256: string; bytes: number }>;
  get(sha256: string): Promise<Buffer>;
  getText(sha256: string): Promise<string>;
  pathOf(sha256: string): string;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function createArtifactStore(root: string): ArtifactStore {
  const pathOf = (sha256: string): string => {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return path.join(root, sha256.slice(0, 2), sha256);
  };
  const get = async (sha256: string): Promise<Buffer> => {
    const content = await readFile(pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new Error(`artifact ${sha256} is not in ${root}`);
      throw error;
    });
    const actual = sha256Hex(content);
    if (actual !== sha256) throw new Error(`artifact ${sha256} is corrupt (content hashes to ${actual})`);
    return content;
  };
  return {
    pathOf,
    get,
    async getText(sha256) {
      return (await get(sha256)).toString('utf8');
    },
    async put(content) {
      const sha256 = sha256Hex(content);
      const file = pathOf(sha256);
      const exists = await stat(file).then(() => true, () => false);
      if (!exists) {
        await mkdir(path.dirname(file), { recursive: true });
        // Write then rename, so a crash never leaves a half-written artifact under its final name.
        // The temp name is unique per call: concurrent puts of the same content must not share it.
        const temp = `${file}.${randomUUID()}.tmp`;
        await writeFile(temp, content);
        await rename(temp, file);
      }
      return { sha256, bytes: Buffer.byteLength(content) };
    },
  };
}
