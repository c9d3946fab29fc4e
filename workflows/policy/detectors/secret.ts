/**
 * Secret-like content in added lines. A scanner cannot tell fake, example or placeholder values from
 * real ones, so they all count. Excerpts are redacted: they show the key name (or the kind of token)
 * and `***`, never any part of the value.
 *
 *  1. Token shapes, in every file including tests, docs and comments: PEM private keys, AWS access key
 *     ids, GitHub/Slack/Stripe/Google/SendGrid/npm/LLM-provider tokens, JWTs; and, outside tests, URLs
 *     with an embedded password for a host other than localhost/example (in tests, and on localhost,
 *     they are DSNs of throwaway databases) and SQL that sets a password (`IDENTIFIED BY '…'`,
 *     `WITH PASSWORD '…'`).
 *  2. Assignments of a literal value to a credential-like name (`*SECRET*`, `*PASSWORD*`, `*TOKEN*`,
 *     `*_KEY*`, …): `KEY=value` in env, shell, YAML, TOML, Dockerfile and docs; quoted literals in code
 *     and JSON. Not in test files (fixtures set `password="x"` for fake users of no real system), nor in
 *     dependency manifests (`"@google-cloud/secret-manager": "^6"` names a package).
 *
 * Not secrets (decided, and tested):
 *  - empty values (`STRIPE_SECRET_KEY=`), values read at runtime (`process.env.X`, `os.environ[...]`,
 *    `ENV[...]`, `os.Getenv`, …), and templates filled in at deploy time (`${X}`, `{{ secrets.X }}`,
 *    `$(cmd)`, `$X`, `<your-key>`): none holds credential material;
 *  - masks made of one repeated character (`****`, `xxxx`), settings words (`id-token: write`,
 *    `credentials: 'omit'`), versions, file names, and dotted message keys (`password: 'label.password'`);
 *  - in code, a name that is not itself a credential name and whose value is a plain word or slug
 *    (`const CACHE_KEY = "users"`), and UI labels (`password: "Password"`, values with spaces);
 *  - `changeme`, `secret-value`, `your_access_key` DO count: literal placeholders get deployed as-is.
 */
import type { DiffFile } from '../diff.js';
import { codeLines, evidence, type Evidence } from './lines.js';
import { manifestParser } from './manifests.js';
import { isDocPath, isLocale, isLockfile, isTestPath } from './paths.js';

const TOKENS: { rule: string; label: string; re: RegExp }[] = [
  { rule: 'private-key', label: 'PEM private key', re: /-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/ },
  { rule: 'aws-access-key-id', label: 'AWS access key id', re: /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/ },
  { rule: 'github-token', label: 'GitHub token', re: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { rule: 'slack-token', label: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}|hooks\.slack\.com\/services\/T\w+\/B\w+\/\w+/ },
  { rule: 'stripe-key', label: 'Stripe secret key', re: /\b(sk|rk)_(live|test)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{16,}/ },
  { rule: 'google-api-key', label: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { rule: 'llm-api-key', label: 'API key (sk-…)', re: /\bsk-(ant-|proj-)?[A-Za-z0-9_-]{20,}/ },
  { rule: 'sendgrid-key', label: 'SendGrid key', re: /\bSG\.[\w-]{16,}\.[\w-]{16,}/ },
  { rule: 'npm-token', label: 'npm token', re: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { rule: 'jwt', label: 'JWT', re: /\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/ },
  { rule: 'sql-password', label: 'database password', re: /\bIDENTIFIED\s+(WITH\s+\w+\s+)?BY\s+(PASSWORD\s+)?'[^'$%{]+'|\bPASSWORD\s+'[^'$%{]+'/i },
  { rule: 'url-credentials', label: 'URL with password', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]+:(?![$<{%])[^\s:/@'"`]+@(?!(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|example\.\w+)\b)[\w.-]+/i },
];

/** Upper-snake names (after camelCase → snake) that hold credentials. */
const CREDENTIAL_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|(^|_)PWD($|_)|TOKEN|APIKEY|API_KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|(^|_)DSN$)/;
const KEY_NAME = /[A-Z0-9]_?KEY(_|$)/;
/** Names that merely describe a credential (where it lives, how long it lasts), or are public by design. */
const NOT_CREDENTIAL = /PUBLIC|PUBLISHABLE|(_ID|_IDS|_NAME|_FILE|_PATH|_DIR|_URL|_URI|_HOST|_PORT|_ENDPOINT|_REGION|_BUCKET|_TYPE|_MODE|_HEADER|_PREFIX|_FIELD|_LABEL|_PLACEHOLDER|_LENGTH|_SIZE|_COUNT|_LIMIT|_MAX|_MIN|_TTL|_TIMEOUT|_ENABLED|_REQUIRED|_ALGORITHM|_VERSION|_FORMAT|_PARAM|_COOKIE|_EVENT|_ERROR|_MESSAGE|_TEXT|_TITLE|_DESCRIPTION|_HINT|_TOKENS|_ROUTE|_PAGE|_CHARSET|_CHARS|_ALPHABET|_PATTERN|_REGEXP?|_RE)$|EXPIR|^(MAX|MIN|NUM)_|TOKENIZ|_TOKEN_(TYPE|URL|ENDPOINT)/;
/** Names where the words only mean a credential in an env/config context (`FOO_KEY`); in code they are often cache keys. */
const CODE_KEY_PREFIX = /(API|ACCESS|SECRET|PRIVATE|SIGNING|ENCRYPTION|MASTER|AUTH|CLIENT|LICENSE|WEBHOOK|HMAC|JWT|SSH|GPG|AES|RSA|ADMIN|DEPLOY|SERVICE_ACCOUNT)_?KEY/;

/**
 * Booleans, YAML block markers, access levels (`id-token: write`) and how a value is kept
 * (Laravel's `'password' => 'hashed'` cast): settings, not credentials.
 */
const CONFIG_WORD = /^(true|false|null|nil|none|undefined|yes|no|on|off|read|write|read-write|readonly|required|optional|enabled|disabled|auto|default|inherit|include|omit|same-origin|hashed|encrypted|\||>|>-|\|-)$/i;
/** `label.password`, `errors.token-expired`: a message or config key naming the credential, not one. */
const DOTTED_KEY = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;
const VERSION = /^[\^~><=]*\s*v?\d+(\.\d+)+/;
const FILE_NAME = /^[\w./-]+\.(md|mdx|html?|json|ya?ml|toml|txt|py|[cm]?[jt]sx?|rb|go|pem|key|crt|cer|p12|pfx|jks|der)$/i;
const RUNTIME_READ = /\b(process\.env|import\.meta\.env|os\.environ|os\.getenv|getenv\(|ENV\[|ENV\.fetch|os\.Getenv|System\.getenv|Deno\.env|env::var|env\(|config\(|settings\.|Rails\.application\.credentials|secrets\.)/;
const TEMPLATE = /\$\{|\{\{|\$\(|^\$[A-Za-z_]|^<[^<>]*>$|^%\(|%[A-Z_]+%|#\{|^\{[A-Za-z_]+\}$|^!/;
const ENV_LIKE = /(^|\/)(\.env[^/]*|[^/]*\.env|[^/]*\.env\.[^/]*|Dockerfile[^/]*|[^/]*\.(ya?ml|toml|ini|cfg|conf|properties|sh|bash|zsh|tf|tfvars|hcl|md|mdx|rst|txt|adoc))$/i;

/** `KEY=value`, `KEY: value`, `export KEY=value`, `ENV KEY value`, `- KEY=value`. */
const UNQUOTED_ASSIGNMENT = /^\s*(?:-\s+)?(?:export\s+|set\s+|(?:ENV|ARG)\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[=:]\s*(.*)$/;
const DOCKER_ENV = /^\s*(?:ENV|ARG)\s+([A-Za-z_]\w*)\s+(\S.*)$/;
const VUE_BINDING = /(^|\s)(:|@|#|v-bind:|v-on:)$/;
/**
 * `name = "v"`, `name: 'v'`, `"name": "v"`, `name := "v"`, `name => "v"`, `name="v"` (kwargs). A name
 * inside a path is no name: in `get "/unsubscribes/:token" => "unsubscribes#show"` the route is the key.
 */
const QUOTED_ASSIGNMENT = /(?<![\w/.-]|\/:)["']?([A-Za-z_][\w.-]*)["']?\s*(?::=|=>|\?\?=|\|\|=|=|:)\s*(["'`])((?:\\.|(?!\2).)*)\2/g;

/** Replaces credential-shaped tokens in free text (e.g. a model's rationale quoting a diff) with a label. */
export function redactTokens(text: string): string {
  return TOKENS.reduce((acc, { label, re }) => acc.replace(new RegExp(re.source, `${re.flags.replace('g', '')}g`), `[redacted ${label}]`), text);
}

export function detectSecret(files: DiffFile[]): Evidence[] {
  const found: Evidence[] = [];
  for (const file of files) {
    if (file.binary || isLockfile(file.path)) continue;
    const assignmentsApply = !isTestPath(file.path) && !isLocale(file.path) && manifestParser(file.path) === null;
    const code = new Set(assignmentsApply ? codeLines(file.added, file.path) : []);
    for (const line of file.added) {
      const hit = tokenHit(line.text, isTestPath(file.path)) ?? (code.has(line) ? assignmentHit(line.text, file.path) : null);
      if (hit) found.push(evidence(file.path, line, hit.rule, `${hit.name}=***`));
    }
  }
  return found;
}

interface Hit { rule: string; name: string }

function tokenHit(text: string, inTest: boolean): Hit | null {
  for (const t of TOKENS) {
    if (inTest && (t.rule === 'url-credentials' || t.rule === 'sql-password')) continue; // a test's throwaway database
    if (t.re.test(text)) return { rule: t.rule, name: nameOnLine(text) ?? t.label };
  }
  return null;
}

/** The name the value is assigned to, unless the name could itself be the secret (`sk_live_…: true`). */
function nameOnLine(text: string): string | null {
  const name = /["']?([A-Za-z_][\w.-]*)["']?\s*(?::=|=>|=|:)/.exec(text)?.[1];
  return name && !looksRandom(name) && !TOKENS.some((t) => t.re.test(name)) ? name : null;
}

interface Assignment { name: string; value: string; quoted: boolean }

function assignmentHit(text: string, path: string): Hit | null {
  const envLike = ENV_LIKE.test(path);
  for (const a of assignments(text, path, envLike)) {
    if (isCredentialName(a.name, a.value, envLike) && isLiteralValue(a, envLike)) return { rule: 'credential-assignment', name: a.name };
  }
  return null;
}

/** Quoted assignments anywhere on the line; in env-like files also `KEY=value` with a bare value. */
function assignments(text: string, path: string, envLike: boolean): Assignment[] {
  const out: Assignment[] = [];
  const prose = isDocPath(path); // in docs only a line that starts with the assignment is an example, not a sentence
  for (const m of text.matchAll(QUOTED_ASSIGNMENT)) {
    const before = text.slice(0, m.index);
    // `:login-token="loginToken"`, `@submit="…"`: a Vue binding's value is an expression, not a literal.
    if (VUE_BINDING.test(before) && !/=>/.test(m[0])) continue;
    if (!prose || /^\s*(?:-\s+|export\s+)?$/.test(before)) out.push({ name: m[1] ?? '', value: m[3] ?? '', quoted: true });
  }
  const bare = envLike ? UNQUOTED_ASSIGNMENT.exec(text) ?? DOCKER_ENV.exec(text) : null;
  if (bare && !/^["'`]/.test((bare[2] ?? '').trim())) out.push({ name: bare[1] ?? '', value: bare[2] ?? '', quoted: false });
  return out;
}

function snake(name: string): string {
  const last = name.split('.').pop() ?? name;
  return last.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** In code and structured files (JSON, …) a `*_KEY` name needs a credential prefix or a random-looking value. */
function isCredentialName(name: string, value: string, envLike: boolean): boolean {
  const n = snake(name);
  if (NOT_CREDENTIAL.test(n)) return false;
  if (CREDENTIAL_NAME.test(n)) return true;
  if (!KEY_NAME.test(n)) return false;
  return envLike || CODE_KEY_PREFIX.test(n) || looksRandom(value);
}

function isLiteralValue({ name, value: raw, quoted }: Assignment, envLike: boolean): boolean {
  const value = (quoted ? raw : raw.replace(/\s+#.*$/, '').replace(/[,;]$/, '')).trim().replace(/^["'`]|["'`]$/g, '');
  if (value === '' || CONFIG_WORD.test(value)) return false;
  if (TEMPLATE.test(value) || RUNTIME_READ.test(value)) return false;
  if (/^(.)\1*$/.test(value)) return false; // a mask like **** or xxxx
  if (/^\d+$/.test(value) && !/PASS|PWD|PIN/.test(snake(name))) return false;
  if (DOTTED_KEY.test(value) || VERSION.test(value)) return false;
  if (/^(https?|file):\/\/[^@]*$/.test(value) || /^(\.{0,2}\/|~\/)[\w./-]*$/.test(value) || FILE_NAME.test(value)) return false; // URL or path
  if (!quoted && /^[A-Za-z_][\w.]*\(/.test(value)) return false; // a call, not a literal
  if (/\s/.test(value)) return false; // prose: a label, message or description
  const word = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!envLike && name.toLowerCase().replace(/[^a-z0-9]/g, '').includes(word)) return false; // password: "Password"
  return true;
}

/** At least 16 characters mixing letters and digits, no spaces: what generated keys look like. */
function looksRandom(value: string): boolean {
  return value.length >= 16 && /[A-Za-z]/.test(value) && /\d/.test(value) && !/\s/.test(value);
}
