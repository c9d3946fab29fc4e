import { createHash } from 'node:crypto';

/**
 * Wraps untrusted text (diffs, PR titles and descriptions, logs) in a labelled fence that the system
 * prompts tell the model to treat as data, never as instructions. The fence id is derived from the
 * content, so the content cannot close its own fence; a stray closing marker inside is neutralised.
 */
export function fence(label: string, text: string): string {
  const id = createHash('sha256').update(label).update('\0').update(text).digest('hex').slice(0, 12);
  const close = `</untrusted ${id}>`;
  const safe = text.split(close).join(`</untrusted ${id} (escaped)>`);
  return `<untrusted ${id} label="${label}">\n${safe}\n${close}`;
}
