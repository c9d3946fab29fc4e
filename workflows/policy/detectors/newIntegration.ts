/**
 * New service integration: the change starts talking to an external service.
 *
 *  1. `new-dependency`: a manifest gains a dependency whose name names a service (see services.ts:
 *     cloud, payments, email/SMS, queues, observability/analytics, datastores/search, auth, LLM APIs,
 *     SaaS APIs). A dependency also removed somewhere in the diff is a version bump or a move, not new.
 *     A dependency that names no service (a utility such as lodash) does not count.
 *  2. `client-construction`: code constructs or initialises a client of such a service — `new Stripe(`,
 *     `new S3Client(`, `boto3.client(`, `Sentry.init(`, `nodemailer.createTransport(`,
 *     `Stripe::StripeClient.new`, `s3.NewFromConfig(`, `OpenAI(api_key=…)`, `stripe.api_key = …`; not its
 *     data types or errors (`new mongoose.Schema(`: a model, which the schema detector reads).
 *  3. `service-endpoint`: code or config points at a service's host (`https://eu.i.posthog.com`,
 *     `in.logs.betterstack.com`), or a new code file that makes HTTP calls names an external URL.
 *  4. `client-module`: a new server-side code file named after a service (`destinations/datadog.py`,
 *     `twilio_client.go`, `slack/index.ts`), or any new one in an integrations directory
 *     (`notification-providers/pinglet.js`, `connectors/`, `exporters/`), makes HTTP calls.
 * New UI files (jsx/tsx/vue/…) only count through a dependency, a client construction or a service host.
 * Lines moved unchanged from elsewhere in the diff are not new; tests, docs, examples and CI never count.
 */
import type { DiffFile, DiffLine } from '../diff.js';
import { codeLines, evidence, squash, squashedSet, type Evidence } from './lines.js';
import { dependencyKey, manifestParser } from './manifests.js';
import { isCiPath, isCode, isDocPath, isExamplePath, isGenerated, isLocale, isLockfile, isTestPath } from './paths.js';
import { clientOf, SERVICE_TOKENS, serviceIn, servicesIn, tokens } from './services.js';

const CONSTRUCTION: RegExp[] = [
  /\bnew\s+([A-Za-z_$][\w$.]*)\s*[(<]/g, // JS/TS, Java, C#, PHP
  /\b([A-Z]\w*(?:::[A-Z]\w*)*)(?:\.|::)(?:new|configure|setup)\b/g, // Ruby, Rust
  /\b([A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)(?:\.|::)(?:client|resource|Client|Session|connect|init|initialize|configure|setup|setApiKey|set_api_key|create[A-Z_]\w*|Create\w+|New\w*|Dial\w*)\s*\(/g,
  /(?:=|return|:)\s*([A-Z][A-Za-z0-9]*)\s*\(/g, // Python/Go-style constructor call: `client = OpenAI(…)`
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)\s*\(/g, // `require('stripe')(key)`
  /\b([A-Za-z_][\w.]*)\.(?:api_key|apiKey|access_token)\s*=/g, // `stripe.api_key = …`
];

/** `new mongoose.Schema(`, `new Stripe.errors.StripeError(`: a library's data types and errors, not a client of its service. */
const DATA_DEFINITION = /(^|\.|::)(Schema|Model|Types?|ObjectId|Document|Query|Decimal128|Mixed|\w*Error)$/;

const URL_IN_TEXT = /\bhttps?:\/\/([a-z0-9.-]+\.[a-z]{2,})(\/[^\s'"`)]*)?/gi;
/** Pages for people (docs, dashboards, consoles, status), not endpoints code talks to. */
const HUMAN_PAGE = /^(docs|developers?|dashboard|console|portal|app|www|status|help|support|blog)\./;
/** …of which these never serve an API. */
const DOC_PAGE = /^(docs|developers?|status|help|support|blog)\./;
/** Where a project keeps the code that talks to other services, one module each (uptime-kuma's notification providers). */
const INTEGRATION_DIR = /(^|\/)(integrations?|connectors?|destinations?|notification[-_]?providers?|notifiers?|exporters?)\/[^/]+$/i;
const HTTP_CALL = /\b(fetch|axios|got|ky|request|requests|httpx|urllib|aiohttp|HTTParty|Faraday|RestClient|Net::HTTP|http\.(Get|Post|NewRequest\w*|Client)|WebClient|HttpClient|OkHttpClient|reqwest)\b/;
/** Hosts that are not a service the code integrates with: local, reserved, schemas, code hosting, registries. */
const LOCAL_HOST = /(^|\.)(localhost|example\.(com|org|net)|test|local|internal|w3\.org|json-schema\.org|schema\.org|npmjs\.(org|com)|pypi\.org)$|^(github\.com|gitlab\.com|bitbucket\.org|raw\.githubusercontent\.com)$|^(127\.|0\.0\.0\.0|10\.|192\.168\.)/;
/** The URL is the target of a link for people: `<a href="…`, `[text](…`. */
const LINK_BEFORE = /<a\s[^>]*\bhref=["']?$|\]\($/i;
/** `stripe.com`, `www.stripe.com`: a company's home page when nothing follows; its APIs live on hosts of their own or under a path. */
const APEX = /^(www\.)?[a-z0-9-]+\.[a-z]{2,}$/;
/** Public CDNs of static assets (a stylesheet, a font, a library's script): no service account, no data sent. */
const ASSET_CDN = /^(cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net|unpkg\.com|fonts\.(googleapis|gstatic)\.com|ajax\.googleapis\.com|code\.jquery\.com|(maxcdn|stackpath|netdna)\.bootstrapcdn\.com|use\.fontawesome\.com|cdn\.tailwindcss\.com|esm\.sh|cdn\.skypack\.dev)$/;
const UI_FILE = /\.(jsx|tsx|vue|svelte|html|erb)$/;

export function detectNewIntegration(files: DiffFile[]): Evidence[] {
  // Docs neither add an integration nor show one the project already used: a docs line quoting an API
  // or an SDK call, moved into code, is new there.
  const withoutDocs = files.filter((f) => !isDocPath(f.path));
  const known = alreadyUsed(withoutDocs);
  const removedEverywhere = squashedSet(withoutDocs, 'removed');
  const found: Evidence[] = [];
  for (const file of withoutDocs) {
    if (file.binary || isTestPath(file.path) || isLockfile(file.path) || isLocale(file.path)
      || isGenerated(file.path) || isCiPath(file.path) || isExamplePath(file.path)) continue;
    const fresh = codeLines(file.added, file.path).filter((l) => !removedEverywhere.has(squash(l.text)));
    const parse = manifestParser(file.path);
    if (parse) found.push(...newDependencies(file.path, fresh, parse, known));
    else found.push(...wiring(file, fresh, known));
  }
  return found;
}

interface Known { dependencies: Set<string>; services: Set<string>; endpointKeys: Set<string>; hosts: Set<string> }

/**
 * What the removed lines show the project already used: a dependency removed and added back is a bump,
 * a service whose SDK or client was removed is being migrated (aws-sdk → @aws-sdk/client-s3,
 * `new S3(` → `new S3Client(`), a setting that pointed at a URL before is being re-pointed, and a host
 * a removed line already called is being called from rewritten code.
 */
function alreadyUsed(files: DiffFile[]): Known {
  const known: Known = { dependencies: new Set(), services: new Set(), endpointKeys: new Set(), hosts: new Set() };
  for (const f of files) {
    const parse = manifestParser(f.path);
    for (const l of f.removed) {
      const name = parse?.(l.text);
      if (name) known.dependencies.add(dependencyKey(name));
      for (const service of name ? servicesIn(name) : [constructedService(l.text)]) if (service) known.services.add(service);
      const key = endpointKey(l.text);
      if (key) known.endpointKeys.add(key);
      for (const m of l.text.matchAll(URL_IN_TEXT)) known.hosts.add((m[1] ?? '').toLowerCase());
    }
  }
  return known;
}

function newDependencies(path: string, lines: DiffLine[], parse: (t: string) => string | null, known: Known): Evidence[] {
  const out: Evidence[] = [];
  for (const l of lines) {
    const name = parse(l.text);
    const service = name ? serviceIn(name) : null;
    if (name && service && !known.dependencies.has(dependencyKey(name)) && !known.services.has(service)) {
      out.push(evidence(path, l, 'new-dependency'));
    }
  }
  return out;
}

/** At most one client construction and one endpoint per file: enough to name the file in a reason. */
function wiring(file: DiffFile, lines: DiffLine[], known: Known): Evidence[] {
  const out: Evidence[] = [];
  const construction = isCode(file.path) ? lines.find((l) => {
    const service = constructedService(l.text);
    return service !== null && !known.services.has(service);
  }) : undefined;
  if (construction) out.push(evidence(file.path, construction, 'client-construction'));
  const httpModule = isCode(file.path) && !UI_FILE.test(file.path) && file.status === 'added' && lines.some((l) => HTTP_CALL.test(l.text));
  const endpoint = lines.find((l) => pointsAtService(l.text, httpModule, known.hosts) && !known.endpointKeys.has(endpointKey(l.text) ?? ''));
  if (endpoint) out.push(evidence(file.path, endpoint, 'service-endpoint'));
  const service = moduleService(file.path);
  const namedClient = service !== null && !known.services.has(service);
  if (httpModule && !endpoint && (namedClient || INTEGRATION_DIR.test(file.path))) {
    out.push(evidence(file.path, lines.find((l) => HTTP_CALL.test(l.text)), 'client-module'));
  }
  return out;
}

/** `destinations/datadog.py`, `twilio_client.go`, `slack/index.ts` → the service the module is named after. */
function moduleService(path: string): string | null {
  const [dir = '', base = ''] = path.replace(/\.\w+$/, '').split('/').slice(-2);
  return clientOf(base) ?? (/^(index|main|mod|client|__init__)$/.test(base) ? clientOf(dir) : null);
}

/** The service whose client the line constructs, if any. */
function constructedService(text: string): string | null {
  for (const re of CONSTRUCTION) {
    for (const m of text.matchAll(re)) {
      const callee = m[1] ?? '';
      if (DATA_DEFINITION.test(callee)) continue;
      const service = callee.includes('/') ? serviceIn(callee) : clientOf(callee); // a package name, or a client
      if (service) return service;
    }
  }
  return null;
}

/** `googleTokenURL = "https://…"` → `googleTokenURL=`: the setting a URL is assigned to. */
function endpointKey(text: string): string | null {
  const at = text.search(/https?:\/\//);
  return at > 0 ? squash(text.slice(0, at)).replace(/["'`]+$/, '') || null : null;
}

/** A URL of a service's host (`api.datadoghq.com` names datadog), or any external URL in a new HTTP client module. */
function pointsAtService(text: string, httpModule: boolean, knownHosts: Set<string>): boolean {
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const host = (m[1] ?? '').toLowerCase();
    const path = m[2] ?? '';
    if (knownHosts.has(host) || LOCAL_HOST.test(host) || DOC_PAGE.test(host) || ASSET_CDN.test(host) || /^\/docs?\b/.test(path) || LINK_BEFORE.test(text.slice(0, m.index))) continue;
    // In a new HTTP client module a URL is what it calls (`https://app.bearsms.com/index.php`); elsewhere
    // a web app's or a home page's address is for people.
    if (httpModule) return true;
    if (HUMAN_PAGE.test(host) || (APEX.test(host) && /^\/?$/.test(path))) continue;
    if (tokens(host).some((t) => [...SERVICE_TOKENS].some((s) => t === s || (s.length >= 5 && t.startsWith(s))))) return true;
  }
  return false;
}
