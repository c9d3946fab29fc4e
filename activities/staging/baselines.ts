import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { baselineSchema, type Baseline } from './schema.js';

/** The last promoted version's staging numbers, one file per service. */
export function createBaselineStore(dir: string) {
  const fileOf = (service: string) => path.join(dir, `${service}.json`);
  return {
    async read(service: string): Promise<Baseline | null> {
      const text = await readFile(fileOf(service), 'utf8').catch(() => null);
      if (text === null) return null;
      const parsed = baselineSchema.safeParse(JSON.parse(text));
      return parsed.success ? { ...parsed.data, source: 'stored' } : null;
    },
    async write(baseline: Baseline): Promise<void> {
      await mkdir(dir, { recursive: true });
      const file = fileOf(baseline.service);
      await writeFile(`${file}.tmp`, JSON.stringify(baselineSchema.parse(baseline), null, 2));
      await rename(`${file}.tmp`, file);
    },
  };
}
