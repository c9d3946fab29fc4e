import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Whether the module with this import.meta.url is the script node was started with. */
export function isMainModule(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === importMetaUrl;
  } catch {
    return false;
  }
}
