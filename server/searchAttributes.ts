import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { searchAttributes } from '../workflows/messages.js';

// @temporalio/proto is CommonJS: its namespace comes through the default export under ESM.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** Our six search attributes with their Temporal types, from the one definition in messages.ts. */
export const REQUIRED_SEARCH_ATTRIBUTES = Object.values(searchAttributes).map((key) => ({
  name: key.name,
  type: key.type,
  indexed: {
    KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  }[key.type as 'KEYWORD' | 'INT' | 'BOOL'],
}));

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  const cliType = { KEYWORD: 'Keyword', INT: 'Int', BOOL: 'Bool' } as const;
  return REQUIRED_SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', `${attribute.name}=${cliType[attribute.type as keyof typeof cliType]}`]);
}

export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  return REQUIRED_SEARCH_ATTRIBUTES.filter((attribute) => !known.has(attribute.name)).map((attribute) => attribute.name);
}

/** Registers whichever of our search attributes the namespace lacks; returns the ones it added. Idempotent. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = new Set(await missingSearchAttributes(connection, namespace));
  if (missing.size === 0) return [];
  return addSearchAttributes(connection, namespace, REQUIRED_SEARCH_ATTRIBUTES.filter((attribute) => missing.has(attribute.name)));
}

/** Adds without listing first: the time-skipping test server implements add but not list. */
export async function addSearchAttributes(
  connection: Connection, namespace: string, attributes = REQUIRED_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(attributes.map((attribute) => [attribute.name, attribute.indexed])),
  });
  return attributes.map((attribute) => attribute.name);
}
