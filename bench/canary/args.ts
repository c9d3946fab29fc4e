/** `--name value` flags of a benchmark's command line, as positive numbers. */
export function numberFlag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const text = process.argv[index + 1];
  const value = Number(text);
  if (text === undefined || !(value > 0)) throw new Error(`--${name} needs a positive number (got ${JSON.stringify(text)})`);
  return value;
}
