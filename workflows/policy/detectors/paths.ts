/**
 * What kind of file a path is, from the path alone. Shared by the detectors and the risk heuristic.
 * Conventions across ecosystems, never names from one project.
 */

const TEST_DIRS = /(^|\/)(tests?|spec|specs|__tests__|__mocks__|__mock__|mocks?|fixtures?|factories|testdata|test-?utils|e2e|cypress|playwright)(\/|$)/i;
const TEST_FILES = /(^|\/)(test_[^/]*\.py|[^/]*_test\.(py|go|rb|exs?)|[^/]*[._-](test|spec)s?\.[cm]?[jt]sx?|[^/]*_spec\.rb|[^/]*Tests?\.(java|kt|cs|swift)|conftest\.py)$/i;
const DOC_FILES = /\.(md|mdx|markdown|rst|adoc|rtf)$/i;
const DOC_NAMES = /(^|\/)(README|CHANGELOG|CHANGES|HISTORY|LICEN[CS]E|NOTICE|AUTHORS|CONTRIBUTORS|CONTRIBUTING|COPYING)[^/]*$/i;
const DOC_DIRS = /(^|\/)(docs?|documentation)(\/|$)/i;
const LOCKFILES = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|Gemfile\.lock|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|Cargo\.lock|composer\.lock|mix\.lock|pubspec\.lock|packages\.lock\.json|gradle\.lockfile)$/;
const VENDORED = /(^|\/)(vendor|vendors|node_modules|third_party|third-party|bower_components|site-packages|patches)\/|\.(patch|diff)$/;
const CI = /(^|\/)(\.github|\.gitlab|\.circleci|\.buildkite|\.husky|\.devcontainer|\.mvn|gradle\/wrapper)\/|(^|\/)(\.gitlab-ci\.yml|Jenkinsfile|azure-pipelines\.ya?ml|\.travis\.yml|\.pre-commit-config\.ya?ml|renovate\.json5?)$/;
const EXAMPLES = /(^|\/)_?(examples?|samples?|demos?|benchmarks?|benches)\//i;
const GENERATED = /(^|\/)(dist|build|vendor|node_modules|generated|__generated__|__snapshots__)(\/|$)|(\.min\.(js|css)|\.map|\.snap|\.pb\.go|_pb2\.py|\.generated\.\w+|[._-]gen\.\w+|(^|\/)gen\.go)$/i;
const STYLE_FILES = /\.(css|scss|sass|less|styl)$/i;
const LOCALE = /(^|\/)(locales?|i18n|l10n|lang|translations?)(\/|$)|\.(po|pot|xliff?)$/i;
const CODE = /\.([cm]?[jt]sx?|py|rb|go|rs|java|kt|kts|scala|cs|php|ex|exs|swift|vue|svelte|erb|sh|bash)$/i;

export const isTestPath = (path: string): boolean => TEST_DIRS.test(path) || TEST_FILES.test(path);
export const isDocPath = (path: string): boolean => DOC_FILES.test(path) || DOC_NAMES.test(path) || (DOC_DIRS.test(path) && !CODE.test(path));
export const isLockfile = (path: string): boolean => LOCKFILES.test(path);
/** Example, demo and benchmark code: shows or measures the API, is not the API. */
export const isExamplePath = (path: string): boolean => EXAMPLES.test(path);
/** CI pipelines, repository automation and build-tool wrappers: not part of what is deployed. */
export const isCiPath = (path: string): boolean => CI.test(path);
/** Third-party code copied into the repo, or patches to it: not this project's change to judge. */
export const isVendored = (path: string): boolean => VENDORED.test(path);
export const isGenerated = (path: string): boolean => GENERATED.test(path);
export const isStyle = (path: string): boolean => STYLE_FILES.test(path);
export const isLocale = (path: string): boolean => LOCALE.test(path);
export const isCode = (path: string): boolean => CODE.test(path);

/** Migration files of any tool: Django, Alembic, Rails, Knex, TypeORM, Sequelize, Ecto, Laravel, Flyway, go-migrate… */
export function isMigrationPath(path: string): boolean {
  return isMigrationDirectory(path) || (!isDocPath(path) && !isTestPath(path) && !MIGRATION_TOOLING.test(path) && /(^|\/)[^/]*migration[^/]*\.\w+$/i.test(path));
}

/**
 * How a migration tool runs, not what runs against the database: Alembic's env.py and template,
 * package markers and manifests, Prisma's provider lock, tool settings. Not a schema change by
 * itself; the schema detector reads it like any other code (DDL in it still counts), and it is no
 * public surface either.
 */
export function isMigrationTooling(path: string): boolean {
  return MIGRATION_TOOLING.test(path);
}

const MIGRATION_TOOLING = /(^|\/)(env\.py|script\.py\.mako|alembic\.ini|__init__\.py|migration_lock\.toml|knexfile\.\w+|flyway\.conf|liquibase\.properties|dbconfig\.ya?ml|Cargo\.toml|package\.json|go\.mod|pyproject\.toml)$/i;

/** A file inside a migrations directory, or named as a versioned migration by its tool. */
export function isMigrationDirectory(path: string): boolean {
  if (isDocPath(path) || isTestPath(path) || MIGRATION_TOOLING.test(path)) return false;
  return /(^|\/)([\w.-]*[-_.])?(migrations?|migrate)([-_]?v?\d+)?\//i.test(path) // migrations/, db/migrate/, knex_migrations/ (not migration-tool/)
    || /(^|\/)(alembic|changelogs?|liquibase|flyway)\//i.test(path)
    || /(^|\/)V\d+(_\d+)*__\w+\.sql$/.test(path) // Flyway
    || /\.(up|down)\.sql$/i.test(path); // go-migrate, dbmate
}

/** Whole-file schema definitions: every code line is DDL or model metadata. */
export function isSchemaFile(path: string): boolean {
  return /\.prisma$/i.test(path)
    || /(^|\/)db\/(schema\.rb|structure\.sql)$/.test(path)
    || (/\.sql$/i.test(path) && /(schema|structure|ddl|migrat|patch|tables?)/i.test(path));
}

export type Language = 'js' | 'py' | 'go' | 'rb' | 'rs' | 'java' | 'cs' | 'php' | 'sql' | 'graphql' | 'other';

export function languageOf(path: string): Language {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  if (/^[cm]?[jt]sx?$|^vue$|^svelte$/.test(ext)) return 'js';
  if (ext === 'py') return 'py';
  if (ext === 'go') return 'go';
  if (ext === 'rb' || ext === 'rake') return 'rb';
  if (ext === 'rs') return 'rs';
  if (/^(java|kt|kts|scala)$/.test(ext)) return 'java';
  if (ext === 'cs') return 'cs';
  if (ext === 'php') return 'php';
  if (ext === 'sql') return 'sql';
  if (ext === 'graphql' || ext === 'gql' || ext === 'graphqls') return 'graphql';
  return 'other';
}
