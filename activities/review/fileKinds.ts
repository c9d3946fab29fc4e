const TEST_PATH = /(^|\/)(tests?|spec|__tests__|e2e)\/|[._-](test|spec)\.[a-z]+$|_test\.go$|^test_[^/]*\.py$|\/test_[^/]*\.py$/i;
const SOURCE_EXTENSION = /\.(ts|tsx|js|jsx|mjs|cjs|py|rb|go|rs|java|kt|scala|cs|php|swift|c|cc|cpp|h|hpp|ex|exs|sql)$/i;

export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

export function isSourcePath(path: string): boolean {
  return SOURCE_EXTENSION.test(path) && !isTestPath(path);
}
