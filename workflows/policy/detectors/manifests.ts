/**
 * Dependency names declared on a manifest line, for the ecosystems we read: npm/composer package.json,
 * pip requirements, pyproject/Pipfile, Gemfile/gemspec, go.mod, Cargo.toml, Maven pom.xml, Gradle,
 * NuGet. Lockfiles are not manifests: they list transitive packages nobody chose.
 */

type Parser = (text: string) => string | null;

const VERSION_SPEC = /^(\^|~|>=?|<=?|=|v)?\s*\d|^(\*|latest|next|workspace:|npm:|file:|link:|git|github:|https?:)/;
const NOT_A_DEPENDENCY = new Set(['name', 'version', 'description', 'python', 'node', 'npm', 'pnpm', 'yarn',
  'readme', 'license', 'requires-python', 'edition', 'rust-version', 'build-backend', 'packagemanager']);

const jsonDependency: Parser = (text) => {
  const m = /^\s*"(@?[\w./-]+)"\s*:\s*"([^"]*)"/.exec(text);
  return m?.[1] && VERSION_SPEC.test(m[2] ?? '') ? m[1] : null;
};

const requirement: Parser = (text) => {
  if (/^\s*(-|#)/.test(text)) return null;
  return /^\s*([A-Za-z0-9][\w.-]*)\s*(\[[^\]]*\])?\s*(===?|>=|<=|~=|!=|>|<|@|;|$)/.exec(text)?.[1] ?? null;
};

/** PEP 621 list items (`"stripe>=5",`) and poetry/pipenv/cargo tables (`stripe = "^5"`, `serde = { … }`). */
const tomlDependency: Parser = (text) => {
  const listed = /^\s*["']([A-Za-z0-9][\w.-]*)\s*(\[[^\]]*\])?\s*([<>=!~^;@ ]|["'])/.exec(text)?.[1];
  const keyed = /^\s*([A-Za-z0-9][\w.-]*)\s*=\s*["'{]/.exec(text)?.[1];
  const name = listed ?? keyed ?? null;
  return name && !NOT_A_DEPENDENCY.has(name.toLowerCase()) ? name : null;
};

const gem: Parser = (text) =>
  /^\s*gem\s*\(?\s*["']([\w.-]+)["']/.exec(text)?.[1]
  ?? /\badd_(?:runtime_|development_)?dependency\s*\(?\s*["']([\w.-]+)["']/.exec(text)?.[1]
  ?? null;

const goModule: Parser = (text) => {
  if (/\/\/\s*indirect/.test(text)) return null;
  return /^\s*(?:require\s+)?([\w.-]+\.[a-z]{2,}\/[\w.~/-]+)\s+v\d/.exec(text)?.[1] ?? null;
};

const maven: Parser = (text) => /<(?:artifactId|groupId)>\s*([\w.-]+)\s*<\//.exec(text)?.[1] ?? null;

const gradle: Parser = (text) =>
  /\b(?:implementation|api|compile|runtimeOnly|compileOnly)\s*\(?\s*["']([\w.-]+:[\w.-]+)/.exec(text)?.[1] ?? null;

const nuget: Parser = (text) => /<(?:PackageReference|package)\s+(?:Include|id)="([\w.-]+)"/i.exec(text)?.[1] ?? null;

const PARSERS: [RegExp, Parser][] = [
  [/(^|\/)(package|composer)\.json$/, jsonDependency],
  [/(^|\/)[^/]*requirements[^/]*\.(txt|in)$|(^|\/)constraints[^/]*\.txt$/, requirement],
  [/(^|\/)(pyproject\.toml|Pipfile|Cargo\.toml)$/, tomlDependency],
  [/(^|\/)(Gemfile|[^/]+\.gemspec)$/, gem],
  [/(^|\/)go\.mod$/, goModule],
  [/(^|\/)pom\.xml$/, maven],
  [/(^|\/)build\.gradle(\.kts)?$/, gradle],
  [/\.(csproj|fsproj)$|(^|\/)packages\.config$/, nuget],
];

/** Requirement files for development only (`requirements-dev.txt`, `test-requirements.txt`) ship nothing. */
const DEV_ONLY = /(^|\/)(dev|test|tests|lint|docs?|ci)[-_.]requirements[^/]*$|(^|\/)requirements[-_.](dev|test|tests|lint|docs?|ci)[^/]*$/i;

export function manifestParser(path: string): Parser | null {
  return DEV_ONLY.test(path) ? null : PARSERS.find(([re]) => re.test(path))?.[1] ?? null;
}

/** The identity of a dependency across a version bump: lower case, `_`→`-`, Go major suffix dropped. */
export function dependencyKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '-').replace(/\/v\d+$/, '');
}
