/**
 * The public surface a line declares: exported symbols, routes, GraphQL schema members, CLI flags,
 * environment variables read (or declared as settings read from the environment), REST response
 * fields. The API-breaking detector compares what the
 * removed lines declared with what the added lines declare.
 *
 * Names are compared case- and separator-insensitively (`signed_by_user_id` ≡ `signedByUserId`), so a
 * Ruby GraphQL field and its generated SDL count as one name.
 */
import { languageOf } from './paths.js';

export type SurfaceKind = 'symbol' | 'route' | 'graphql' | 'cli-flag' | 'env-var' | 'response-field';
export interface Surface { kind: SurfaceKind; name: string }

type Extractor = (text: string, path: string) => Surface[];

const all = (re: RegExp, text: string, kind: SurfaceKind): Surface[] =>
  [...text.matchAll(re)].map((m) => ({ kind, name: m[1] ?? '' })).filter((s) => s.name !== '');

/** Python modules that are an API by their role; elsewhere a removed top-level def is an internal refactor. */
const PY_API_MODULE = /(^|\/)(__init__|api|apis|views|urls|endpoints|routes|routers|resolvers|mutations|queries|schema|serializers|handlers|interfaces|public|sdk|client)(\/|\.py$)/;
/**
 * JS/TS exports are a package's API where the package exposes them: entry and barrel files
 * (`index.ts`, `main.ts`, `mod.ts`, `public-api.ts`), `exports/` folders and type declarations. Inside an
 * application (apps/, pages/, routes/, components/ …) an export is only shared between its own files.
 */
const JS_API_FILE = /(^|\/)(index|main|mod|public[-_]api|exports?)\.[cm]?[jt]sx?$|(^|\/)exports?\/|\.d\.[cm]?ts$/;
const JS_APP_PATH = /(^|\/)(apps?|pages|routes|components|hooks|views|screens|scripts|stories)\//;
const GO_PRIVATE = /(^|\/)(internal|cmd)\/|(^|\/)main\.go$|(^|\/)main_\w+\.go$/;

const symbols: Extractor = (text, path) => {
  switch (languageOf(path)) {
    case 'js': {
      if (!JS_API_FILE.test(path) || JS_APP_PATH.test(path)) return [];
      const out = all(/^\s*export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/g, text, 'symbol');
      const list = /^\s*export\s+(?:type\s+)?\{([^}]*)\}/.exec(text)?.[1];
      for (const item of list?.split(',') ?? []) {
        const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()?.trim();
        if (name) out.push({ kind: 'symbol', name });
      }
      const star = /^\s*export\s+\*\s+(?:as\s+(\w+)\s+)?from\s+['"]([^'"]+)['"]/.exec(text);
      if (star) out.push({ kind: 'symbol', name: star[1] ?? `* from ${star[2]?.split('/').pop()?.replace(/\.\w+$/, '')}` });
      return out.concat(all(/^\s*(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/g, text, 'symbol'));
    }
    case 'py':
      return PY_API_MODULE.test(path) ? all(/^(?:async\s+)?(?:def|class)\s+([A-Za-z]\w*)/g, text, 'symbol') : [];
    case 'go':
      // Methods count only on exported receiver types: `func (s *Store) Get`, not `func (s *store) Get`.
      return GO_PRIVATE.test(path) ? [] : all(/^(?:func\s+(?:\(\s*\w*\s*\*?\s*[A-Z][^)]*\)\s*)?|type\s+|var\s+|const\s+)([A-Z]\w*)/g, text, 'symbol');
    case 'rs':
      return all(/^\s*pub\s+(?:async\s+)?(?:fn|struct|enum|trait|type|const|static|mod)\s+(\w+)/g, text, 'symbol');
    case 'java':
    case 'cs':
      return all(/^\s*public\s+(?:(?:static|final|abstract|sealed|partial)\s+)*(?:class|interface|enum|record|struct)\s+(\w+)/g, text, 'symbol')
        .concat(all(/^\s*public\s+(?:(?:static|final|abstract|async|virtual|override|synchronized)\s+)*[\w<>[\],.?]+\s+(\w+)\s*\(/g, text, 'symbol'));
    default:
      return [];
  }
};

/** The added-side view also accepts aliases that keep an old name alive: `old_name = new_name`. */
const aliases: Extractor = (text, path) =>
  languageOf(path) === 'py' ? all(/^([A-Za-z]\w*)\s*=/g, text, 'symbol') : [];

const routes: Extractor = (text, path) => {
  const out = all(/\b(?:app|router|server|fastify|http|mux|engine|bp|blueprint|group|r|e|g|v\d+|\w*(?:Router|router|App|app|Group|group|Routes|routes|Mux|mux))\.(?:get|post|put|patch|delete|all|options|head|route|api_route|GET|POST|PUT|PATCH|DELETE|Get|Post|Put|Patch|Delete|Handle|HandleFunc|Any|Match|Methods)\(\s*r?['"`](?:(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+)?(\/[^'"`]*)['"`]/g, text, 'route');
  out.push(...all(/@(?:Get|Post|Put|Patch|Delete|Request)Mapping\(\s*(?:value\s*=\s*|path\s*=\s*)?"([^"]+)"/g, text, 'route'));
  if (/(^|\/)urls\.py$/.test(path)) out.push(...all(/\b(?:re_path|path|url)\(\s*r?['"]([^'"]*)['"]/g, text, 'route'));
  if (/(^|\/)routes[^/]*\.rb$/.test(path)) {
    out.push(...all(/^\s*(?:get|post|put|patch|delete|match|resources?|root)\b\s*\(?\s*['":]?([\w/:.-]+)/g, text, 'route'));
  }
  return out.map((s) => ({ kind: s.kind, name: s.name.replace(/(.)\/+$/, '$1') }));
};

const graphql: Extractor = (text, path) => {
  if (languageOf(path) === 'graphql') {
    const type = /^\s*(?:type|input|enum|interface|union|scalar)\s+(\w+)/.exec(text);
    if (type) return [{ kind: 'graphql', name: type[1] ?? '' }];
    if (/^\s*(extend|schema|directive)\b/.test(text)) return [];
    return all(/^\s+(\w+)\s*(?:\(|:)/g, text, 'graphql') // fields and arguments
      .concat(all(/^\s+([A-Z][A-Z0-9_]+)\s*(?:@.*)?$/g, text, 'graphql')); // enum values
  }
  return all(/^\s*(?:field|argument)\s+:(\w+)/g, text, 'graphql') // graphql-ruby
    .concat(all(/^\s+(\w+)\s*=\s*(?:graphene\.)?(?:\w+\.)?(?:Field|List|NonNull)\(/g, text, 'graphql')); // graphene
};

/** Flags declared by cobra/pflag/flag (Go), clap (Rust), argparse/click/typer, commander/yargs, OptionParser. */
const FLAG_CALL = /\b(add_argument|add_option|option|Option|argument|on|flag|Flag|arg|long)\s*\(/;
const cliFlags: Extractor = (text, path) => {
  const language = languageOf(path);
  const go = language === 'go' ? all(/\b(?:Flags|PersistentFlags|flag|pflag|flags|fs|flagSet)(?:\(\))?\.\w+\(\s*(?:&[\w.]+,\s*)?"([\w-]+)"/g, text, 'cli-flag') : [];
  const clap = language === 'rs' ? all(/\blong\s*(?:=\s*|\(\s*)"([\w-]+)"/g, text, 'cli-flag') : [];
  const dashed = FLAG_CALL.test(text) ? all(/['"](?:-\w,\s*)?--([\w-]+)/g, text, 'cli-flag') : [];
  const yargs = all(/\.option\(\s*['"]([\w-]+)['"]\s*,\s*\{/g, text, 'cli-flag');
  return [...go, ...clap, ...dashed, ...yargs];
};

const ENV_READ = /process\.env\.([A-Z_][A-Z0-9_]*)|process\.env\[\s*['"]([A-Z_][A-Z0-9_]*)['"]|import\.meta\.env\.([A-Z_][A-Z0-9_]*)|os\.environ(?:\.get\(|\[)\s*['"]([A-Z_][A-Z0-9_]*)|os\.getenv\(\s*['"]([A-Z_][A-Z0-9_]*)|\bENV(?:\.fetch\(|\[)\s*['"]([A-Z_][A-Z0-9_]*)|os\.(?:Getenv|LookupEnv)\(\s*"([A-Z_][A-Z0-9_]*)"|System\.getenv\(\s*"([A-Z_][A-Z0-9_]*)"|env::var\(\s*"([A-Z_][A-Z0-9_]*)"|BindEnv\([^)]*"([A-Z_][A-Z0-9_]*)"/g;
/** Set by the platform or the toolchain, not by an operator. */
const NOT_OPERATOR_ENV = new Set(['NODE_ENV', 'RAILS_ENV', 'RACK_ENV', 'CI', 'HOME', 'PATH', 'PWD', 'USER', 'SHELL', 'TERM',
  'TMPDIR', 'LANG', 'DEV', 'PROD', 'MODE', 'SSR', 'BASE_URL', 'GITHUB_TOKEN', 'GITHUB_ACTIONS', 'GOPATH', 'GOROOT', 'JAVA_HOME', 'PYTHONPATH', 'VIRTUAL_ENV']);

/** What follows `ENV["X"` or `process.env.X` when the code sets the variable (for a child process) instead of reading it. */
const ENV_WRITE = /^["']?\s*\]?\s*(\|\||\?\?)?=(?![=>])/;

/**
 * Variables a settings declaration reads from the environment by name: pydantic-settings fields
 * (`    USERS_OPEN_REGISTRATION: bool = False` in a settings/config module), Go `env:"X"`/`envconfig:"X"`
 * struct tags, clap's `env = "X"`, and zod env schemas (`  DATABASE_URL: z.string()` in an env module).
 */
const ENV_DECLARATIONS: { where: (path: string) => boolean; re: RegExp }[] = [
  { where: (path) => languageOf(path) === 'py' && /(^|\/)\w*(settings|config|conf)\w*\.py$/.test(path), re: /^\s{2,}([A-Z][A-Z0-9_]*)\s*:\s*[^=:]+(?:=.*)?$/g },
  { where: (path) => languageOf(path) === 'go', re: /\b(?:env|envconfig):"([A-Z][A-Z0-9_]*)/g },
  { where: (path) => languageOf(path) === 'rs', re: /\benv\s*=\s*"([A-Z][A-Z0-9_]*)"/g },
  { where: (path) => /(^|\/)env\.[cm]?[jt]s$/.test(path), re: /^\s+([A-Z][A-Z0-9_]*)\s*:\s*z\./g },
];
const declaredEnv = (text: string, path: string): string[] =>
  ENV_DECLARATIONS.filter((d) => d.where(path)).flatMap((d) => all(d.re, text, 'env-var').map((s) => s.name));

const envVars: Extractor = (text, path) =>
  [...text.matchAll(ENV_READ)]
    .filter((m) => !ENV_WRITE.test(text.slice((m.index ?? 0) + m[0].length)))
    .map((m) => m.slice(1).find((g) => g !== undefined) ?? '')
    .concat(declaredEnv(text, path))
    .filter((name) => name !== '' && !NOT_OPERATOR_ENV.has(name))
    .map((name) => ({ kind: 'env-var', name }));

const responseFields: Extractor = (text, path) => {
  if (/serializer/i.test(path)) {
    return all(/^\s+(\w+)\s*=\s*(?:serializers|fields)\.\w+\(/g, text, 'response-field')
      .concat(all(/^\s*attributes?\s+((?::\w+\s*,?\s*)+)/g, text, 'response-field').flatMap((s) =>
        s.name.split(/[\s,:]+/).filter(Boolean).map((name) => ({ kind: 'response-field' as const, name }))));
  }
  if (languageOf(path) === 'py' && /(^|\/)(schemas?|serializers?|responses?)(\/|\.py$)/.test(path)) {
    return all(/^\s{4}(\w+)\s*:\s*[\w[\]|., "']+(?:\s*=.*)?$/g, text, 'response-field');
  }
  return [];
};

export const REMOVED_SIDE: Extractor[] = [symbols, routes, graphql, cliFlags, envVars, responseFields];
export const ADDED_SIDE: Extractor[] = [symbols, aliases, routes, graphql, cliFlags, envVars, responseFields];

export function surfaces(text: string, path: string, extractors: Extractor[]): Surface[] {
  return extractors.flatMap((x) => x(text, path));
}

/** `signed_by_user_id`, `signedByUserId` and `--signed-by-user-id` are one name. */
export const nameKey = (s: Surface): string => `${s.kind}:${s.name.toLowerCase().replace(/[^a-z0-9/:*.{}<>]/g, '')}`;
