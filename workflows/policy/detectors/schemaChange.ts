/**
 * Schema change: the change alters what runs against the database or what the schema definition says.
 *
 *  1. A migration file (any tool: a `*migrat*` directory, Alembic versions, Flyway `V1__x.sql`,
 *     `*.up.sql`, Liquibase changelogs) or a whole-file schema (`*.prisma`, `db/schema.rb`,
 *     `structure.sql`, schema/DDL `.sql` files) with at least one changed code line other than imports.
 *     Comment-only and whitespace-only edits, and lines merely moved within the file, do not count. A
 *     code file that is a migration only by its name (`migrations.go`) must change an operation or a
 *     line of the SQL it runs.
 *  2. Any other `.sql` file whose changed code has DDL (users, roles and grants included) or
 *     row-rewriting DML.
 *  3. ORM model metadata in code: Django/SQLAlchemy/SQLModel fields, TypeORM/JPA column decorators,
 *     Sequelize types, Drizzle tables, Mongoose schemas and, in files under a db/schema/models path,
 *     Drizzle-style column builders, Mongoose fields, GORM tags; and DDL statements embedded in
 *     application code. A relationship whose only change is how the ORM loads or cascades it (JPA
 *     `fetch`/`cascade`/`orphanRemoval`, TypeORM `eager`/`lazy`/`cascade`) leaves the tables as they were.
 * Test and documentation files never count.
 */
import type { DiffFile, DiffLine } from '../diff.js';
import { evidence, squash, substantive, withoutPairs, type Evidence } from './lines.js';
import { isDocPath, isGenerated, isMigrationDirectory, isMigrationPath, isSchemaFile, isTestPath, languageOf, type Language } from './paths.js';

const DDL = /\b(CREATE|ALTER|DROP|RENAME|TRUNCATE)\s+(OR\s+REPLACE\s+)?(TEMPORARY\s+)?(TABLE|INDEX|UNIQUE\s+INDEX|VIEW|MATERIALIZED\s+VIEW|TYPE|SCHEMA|SEQUENCE|COLUMN|CONSTRAINT|TRIGGER|FUNCTION|EXTENSION|DATABASE|DOMAIN|POLICY|USER|ROLE)\b|^\s*(GRANT|REVOKE)\s+\w|\bADD\s+(COLUMN|CONSTRAINT|INDEX|PRIMARY\s+KEY|FOREIGN\s+KEY|UNIQUE)\b|\b(MODIFY|ALTER)\s+COLUMN\b/i;
/** Migration operations of the common tools, preferred as the excerpt over boilerplate lines. */
const OPERATION = /\bmigrations\.\w+\(|\b(op|batch_op)\.\w+\(|\b(add|remove|rename|change)_(column|index|reference|timestamps|foreign_key)\b|\b(create|drop|rename)_table\b|\b(knex\.schema|queryRunner|queryInterface)\.|\.(alterTable|createTable|dropTable|addColumn|removeColumn|changeColumn)\(|^\s*t\.\w+\s|^\s*@@|RunPython|RunSQL/;
const IMPORT = /^\s*(import|from\s+\S+\s+import|require|using|package|use)\b|^\s*["'][\w./-]+["']\s*$|^\s*[)(]\s*$/;
const DML = /\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+[\w".`[\]]+\s+SET|MERGE\s+INTO)\b/i;
/** Upper-case SQL words: two on one line of a migration's code are a line of the SQL it runs (`AND feed_id IN (SELECT id FROM feeds)`). */
const SQL_WORD = /\b(SELECT|FROM|WHERE|AND|OR|NOT|NULL|IN|IS|ON|JOIN|VALUES|SET|RETURNING|GROUP BY|ORDER BY|HAVING|LIMIT|UNION|EXISTS|DISTINCT|DEFAULT|REFERENCES|PRIMARY KEY|UNIQUE|CONSTRAINT|CASCADE|CONFLICT|NOTHING)\b/g;
/** A column definition in a CREATE TABLE: a name and a type only SQL has (`id bigserial not null,`, `id SERIAL,`). */
const COLUMN_DEFINITION = /^\s*"?\w+"?\s+(small|big)?serial\b|^\s*"?\w+"?\s+(integer|bigint|smallint|text|varchar(\s*\(\d+\))?|char\s*\(\d+\)|boolean|timestamp(tz)?|timestamp\s+with(out)?\s+time\s+zone|date|jsonb?|uuid|bytea|numeric(\s*\([\d, ]+\))?|real|double\s+precision)\b\s*(not\s+null|null|default|primary\s+key|references|unique|check|,|$)/i;
const isSqlLine = (l: DiffLine) => COLUMN_DEFINITION.test(l.text) || new Set(l.text.match(SQL_WORD)).size >= 2;
/** DDL inside application code must be upper case (as written in SQL strings), to avoid prose. */
const DDL_IN_CODE = /\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|UNIQUE INDEX|VIEW|TYPE|COLUMN|CONSTRAINT)\b|\bADD\s+COLUMN\b/;

const ORM_BY_LANGUAGE: Partial<Record<Language, RegExp[]>> = {
  py: [
    /\bmodels\.(\w+Field|ForeignKey|OneToOneField|ManyToManyField|Index|UniqueConstraint|CheckConstraint)\(/, // Django
    /^\s*(db_table|unique_together|index_together)\s*=/, // Django Meta
    /(?<![\w.])(sa|sqlalchemy|db)\.Column\(|\bmapped_column\(|^\s*__tablename__\s*=|^\s*__table_args__\s*=/, // SQLAlchemy
    // A bare Column( is SQLAlchemy's only with a column type or option on the line (Wagtail and table UIs have Columns too).
    /(?<![\w.])Column\([^)]*\b(Integer|BigInteger|SmallInteger|String|Text|Unicode|Boolean|DateTime|Date|Time|Float|Numeric|JSONB?|UUID|Enum|LargeBinary|ForeignKey|primary_key|nullable|server_default|autoincrement)\b/,
    /^\s*class\s+\w+\([^)]*\btable\s*=\s*True\b|\bField\([^)]*\b(primary_key|foreign_key|sa_column|sa_type)\s*=|\bRelationship\(/, // SQLModel
  ],
  js: [
    /@(Entity|Column|PrimaryColumn|PrimaryGeneratedColumn|CreateDateColumn|UpdateDateColumn|DeleteDateColumn|Index|Unique|JoinColumn|JoinTable|ManyToOne|OneToMany|OneToOne|ManyToMany)\(/, // TypeORM
    /\bsequelize\.define\(|\bDataTypes\.[A-Z]+\b|\bSequelize\.(STRING|TEXT|INTEGER|BIGINT|BOOLEAN|DATE|JSONB?|UUID|ENUM|DECIMAL|FLOAT)\b/, // Sequelize
    /\b(pg|mysql|sqlite)(Table|Enum|Schema|View)\(|\bcustomType</, // Drizzle
    /\bnew\s+mongoose\.Schema\s*\(|\bmongoose\.model\s*\(\s*['"][^'"]+['"]\s*,|\bSchema\.Types\.[A-Z]\w*/, // Mongoose (`model('User')` only looks one up)
  ],
  java: [/@(Entity|Table|Column|Id|GeneratedValue|JoinColumn|JoinTable|ManyToOne|OneToMany|OneToOne|ManyToMany|Index)\b/], // JPA
  cs: [/\[(Table|Column|Key|ForeignKey|Index|MaxLength)\b/, /\bmodelBuilder\./], // EF Core
  go: [/`[^`]*\bgorm:"/], // GORM struct tags
};

/** `name: text("name")` / `id: varchar("id", …)` in a file under a db/schema/models path (Drizzle, Knex-like builders). */
const COLUMN_BUILDER = /^\s*\w+\s*:\s*(var)?(char|text|string|integer|int|bigint|smallint|tinyint|boolean|bool|timestamp|datetime|date|time|json|jsonb|uuid|serial|bigserial|real|double|decimal|numeric|float|blob|longblob|mediumblob|longtext|mediumtext|binary|varbinary|bytea|enum|\w*Enum)\w*\(\s*["'`]\w+["'`]/i;
const DB_PATH = /(^|\/)(db|database|drizzle|orm|schema|schemas|models?|entities|entity|tables?)(\/|\.\w+$)/i;
/** `views: {type: Number, default: 0}`, `tags: [{ type: String }]`, `title: String,` in a file under a models path (Mongoose). */
const MONGOOSE_FIELD = /^\s*['"]?\w+['"]?\s*:\s*\[?\s*(\{\s*type\s*:\s*\[?\s*(String|Number|Boolean|Date|Buffer|Map|Mixed|ObjectId|Decimal128|UUID|BigInt|mongoose\.[\w.]+|Schema\.Types\.\w+)\b|(String|Number|Boolean|Date|Buffer)\s*\]?\s*,?\s*$)/;
/** Relationship options that only change how the ORM loads or cascades, not what the tables hold. */
const LOADING_OPTION = /\b(fetch\s*=\s*FetchType\.\w+|cascade\s*=\s*(\{[^}]*\}|CascadeType\.\w+)|orphanRemoval\s*=\s*\w+|(eager|lazy)\s*:\s*(true|false)|cascade\s*:\s*(true|false|\[[^\]]*\]))/g;

export function detectSchemaChange(files: DiffFile[]): Evidence[] {
  const found: Evidence[] = [];
  for (const file of files) {
    if (file.binary || isTestPath(file.path) || isDocPath(file.path) || isGenerated(file.path)) continue;
    const { added, removed } = substantive(file);
    if (added.length + removed.length === 0) continue;
    const hit = classify(file.path, added, removed);
    if (hit) found.push(evidence(file.path, hit.line, hit.rule));
  }
  return found;
}

type Hit = { rule: string; line: DiffLine } | null;
const firstMatch = (lines: DiffLine[]) => (re: RegExp) => lines.find((l) => re.test(l.text));

function classify(path: string, added: DiffLine[], removed: DiffLine[]): Hit {
  const language = languageOf(path);
  const changed = [...added, ...removed];
  const first = firstMatch(changed);
  if (isMigrationPath(path) || isSchemaFile(path)) {
    const rule = isMigrationPath(path) ? 'migration' : 'schema-file';
    const statements = changed.filter((l) => !IMPORT.test(l.text));
    const operation = first(DDL) ?? first(DML) ?? first(OPERATION) ?? changed.find(isSqlLine);
    // A code file that is a migration only by its name (`migrations.go`) must change an operation or its SQL.
    const line = isMigrationDirectory(path) || isSchemaFile(path) || language === 'sql' ? operation ?? statements[0] : operation;
    return line ? { rule, line } : null;
  }
  if (language === 'sql') {
    const line = first(DDL) ?? first(DML);
    return line ? { rule: 'sql-ddl', line } : null;
  }
  const model = modelMetadata(path, language, withoutLoadingChanges(added, removed));
  if (model) return model;
  const line = language === 'other' ? undefined : first(DDL_IN_CODE);
  return line ? { rule: 'ddl-in-code', line } : null;
}

function modelMetadata(path: string, language: Language, changed: DiffLine[]): Hit {
  const first = firstMatch(changed);
  for (const re of ORM_BY_LANGUAGE[language] ?? []) {
    const line = first(re);
    if (line) return { rule: 'orm-model', line };
  }
  if (language === 'js' && DB_PATH.test(path) && !/\.(vue|svelte)$/i.test(path)) {
    const line = first(COLUMN_BUILDER) ?? first(MONGOOSE_FIELD);
    if (line) return { rule: 'orm-model', line };
  }
  return null;
}

/** The changed lines, less each removed/added pair that differs only in its loading or cascade options. */
function withoutLoadingChanges(added: DiffLine[], removed: DiffLine[]): DiffLine[] {
  const kept = withoutPairs(added, removed, (l) => squash(l.text.replace(LOADING_OPTION, ''))
    .replace(/,{2,}/g, ',').replace(/,+(?=[)}])|(?<=[({]),+/g, '') // commas the options leave behind
    .replace(/,?\{\}(?=\))/g, '').replace(/^(@\w+)\(\)$/, '$1')); // an emptied options object; `@ManyToOne()` is `@ManyToOne`
  return [...kept.added, ...kept.removed];
}
