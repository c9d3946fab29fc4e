/**
 * A local stand-in for the GitHub REST API, backed by local git repositories, for tests: it serves
 * PR metadata, the PR diff (compare API, `application/vnd.github.diff`), a commit's tarball (through
 * a redirect, like GitHub's download host), file contents, a commit's tree and blobs (the git data
 * API), and records the commit statuses and PR comments posted to it. Bearer-token auth; faults can
 * be injected (401, 403 rate limit, 404, 500). Commit shas are read from the git repo at each request,
 * so a test moves a PR by committing to its branch.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StubPull {
  number: number;
  baseRef: string;
  headRef: string;
  title: string;
  body: string;
  author: string;
  state?: 'open' | 'closed';
  /** The head lives in a fork (`<author>/<name>`). */
  fromFork?: boolean;
}

export interface RecordedStatus {
  repo: string;
  sha: string;
  state: string;
  context: string;
  description: string;
  targetUrl: string | null;
}

export interface StubComment {
  id: number;
  repo: string;
  number: number;
  body: string;
  user: string;
  edits: number;
}

export interface StubFault {
  /** Matched against `METHOD /path` (without the query). */
  match: RegExp;
  status: number;
  headers?: Record<string, string>;
  message?: string;
  times?: number;
}

export interface GitHubStub {
  url: string;
  token: string;
  /** The login that owns the token (what GET /user answers). */
  login: string;
  statuses: RecordedStatus[];
  comments: StubComment[];
  requests: { method: string; path: string; status: number }[];
  faults: StubFault[];
  addRepo(owner: string, name: string, gitDir: string): void;
  addPull(owner: string, name: string, pull: StubPull): void;
  /** The PR as the API (and a webhook payload's `pull_request`) shows it now. */
  pullRequestJson(owner: string, name: string, number: number): Promise<Record<string, unknown>>;
  /** A `pull_request` webhook payload for `action`, as GitHub would send it now. */
  pullRequestEvent(owner: string, name: string, number: number, action: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startGitHubStub(options: {
  token?: string;
  login?: string;
  /** Lists at most this many tree entries, then says `truncated` (as GitHub does for very large trees). */
  treeEntryLimit?: number;
} = {}): Promise<GitHubStub> {
  const token = options.token ?? 'stub-token';
  const login = options.login ?? 'prpilot-bot';
  const repos = new Map<string, { owner: string; name: string; gitDir: string; pulls: Map<number, StubPull> }>();
  const downloads = new Map<string, { gitDir: string; prefix: string; sha: string }>();
  const statuses: RecordedStatus[] = [];
  const comments: StubComment[] = [];
  const requests: GitHubStub['requests'] = [];
  const faults: StubFault[] = [];
  let nextCommentId = 1000;
  let url = '';

  const repoOf = (owner: string, name: string) => {
    const repo = repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new HttpError(404, 'Not Found');
    return repo;
  };
  const revParse = async (gitDir: string, ref: string): Promise<string> => {
    const out = await run('git', ['-C', gitDir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => null);
    const sha = out?.stdout.trim();
    if (!sha) throw new HttpError(404, `No commit found for ${ref}`);
    return sha;
  };
  const repositoryJson = (owner: string, name: string) => ({
    name, full_name: `${owner}/${name}`, owner: { login: owner }, clone_url: `${url}/${owner}/${name}.git`,
  });

  async function pullRequestJson(owner: string, name: string, number: number): Promise<Record<string, unknown>> {
    const repo = repoOf(owner, name);
    const pull = repo.pulls.get(number);
    if (!pull) throw new HttpError(404, 'Not Found');
    const [baseSha, headSha] = await Promise.all([revParse(repo.gitDir, `refs/heads/${pull.baseRef}`), revParse(repo.gitDir, `refs/heads/${pull.headRef}`)]);
    return {
      number, state: pull.state ?? 'open', title: pull.title, body: pull.body, user: { login: pull.author },
      html_url: `${url}/${repo.owner}/${repo.name}/pull/${number}`,
      base: { ref: pull.baseRef, sha: baseSha, repo: repositoryJson(repo.owner, repo.name) },
      head: { ref: pull.headRef, sha: headSha, repo: pull.fromFork ? repositoryJson(pull.author, repo.name) : repositoryJson(repo.owner, repo.name) },
    };
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new HttpError(400, 'Problems parsing JSON');
    }
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<number> {
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;

    if (method === 'GET' && (m = /^\/_download\/([^/]+)$/.exec(path))) {
      const download = downloads.get(m[1]!);
      if (!download) throw new HttpError(404, 'Not Found');
      res.writeHead(200, { 'content-type': 'application/x-gzip' });
      const archive = spawn('git', ['-C', download.gitDir, 'archive', '--format=tar.gz', `--prefix=${download.prefix}/`, download.sha], { stdio: ['ignore', 'pipe', 'ignore'] });
      archive.stdout.pipe(res);
      await new Promise((resolve) => archive.on('close', resolve));
      return 200;
    }

    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${token}` && auth !== `token ${token}`) throw new HttpError(401, 'Bad credentials');

    if (method === 'GET' && path === '/user') return send(res, 200, { login }), 200;

    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/.exec(path))) {
      return send(res, 200, await pullRequestJson(m[1]!, m[2]!, Number(m[3]))), 200;
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/compare\/([0-9a-f]{40})\.\.\.([0-9a-f]{40})$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      if (!(req.headers.accept ?? '').includes('application/vnd.github.diff')) throw new HttpError(406, 'this stub serves the compare API as a diff only');
      // The same command prpilot runs on a local repo, so the review sees the same diff either way.
      const diff = await run('git', ['-C', repo.gitDir, 'diff', '--no-color', '--no-ext-diff', '--binary', '-M', `${m[3]}...${m[4]}`], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
        .catch(() => { throw new HttpError(404, 'Not Found'); });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(diff.stdout);
      return 200;
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/tarball\/([0-9a-f]{40})$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const sha = await revParse(repo.gitDir, m[3]!);
      const id = randomUUID();
      downloads.set(id, { gitDir: repo.gitDir, prefix: `${repo.owner}-${repo.name}-${sha.slice(0, 7)}`, sha });
      res.writeHead(302, { location: `${url}/_download/${id}` });
      res.end();
      return 302;
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const ref = query.get('ref') ?? 'HEAD';
      const file = decodeURIComponent(m[3]!);
      const content = await run('git', ['-C', repo.gitDir, 'show', `${ref}:${file}`], { encoding: 'buffer' }).catch(() => null);
      if (!content) throw new HttpError(404, 'Not Found');
      return send(res, 200, { type: 'file', encoding: 'base64', path: file, content: content.stdout.toString('base64') }), 200;
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/git\/trees\/([0-9a-f]{40})$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      if (query.get('recursive') !== '1') throw new HttpError(422, 'this stub lists trees recursively only');
      const listing = await run('git', ['-C', repo.gitDir, 'ls-tree', '-r', '-z', '--full-tree', m[3]!], { maxBuffer: 64 * 1024 * 1024 })
        .catch(() => { throw new HttpError(404, 'Not Found'); });
      const entries = listing.stdout.split('\0').filter(Boolean).map((entry) => {
        const [meta = '', entryPath = ''] = entry.split('\t');
        const [mode, type, sha] = meta.split(' ');
        return { path: entryPath, mode, type, sha };
      });
      const limit = options.treeEntryLimit ?? Infinity;
      return send(res, 200, { sha: m[3], tree: entries.slice(0, limit), truncated: entries.length > limit }), 200;
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/git\/blobs\/([0-9a-f]{40})$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const blob = await run('git', ['-C', repo.gitDir, 'cat-file', 'blob', m[3]!], { encoding: 'buffer' }).catch(() => { throw new HttpError(404, 'Not Found'); });
      return send(res, 200, { sha: m[3], encoding: 'base64', content: blob.stdout.toString('base64') }), 200;
    }
    if (method === 'POST' && (m = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const body = await readJson(req);
      const { state, context, description, target_url: targetUrl } = body as Record<string, string | undefined>;
      if (!['pending', 'success', 'failure', 'error'].includes(state ?? '')) throw new HttpError(422, `state is not included in the list (got ${state})`);
      if ((description ?? '').length > 140) throw new HttpError(422, 'description is too long (maximum is 140 characters)');
      statuses.push({ repo: `${repo.owner}/${repo.name}`, sha: m[3]!, state: state!, context: context ?? 'default', description: description ?? '', targetUrl: targetUrl ?? null });
      return send(res, 201, { id: statuses.length, state, context: context ?? 'default' }), 201;
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const number = Number(m[3]);
      if (!repo.pulls.has(number)) throw new HttpError(404, 'Not Found');
      const slug = `${repo.owner}/${repo.name}`;
      if (method === 'GET') {
        const perPage = Number(query.get('per_page') ?? 30);
        const page = Number(query.get('page') ?? 1);
        const all = comments.filter((comment) => comment.repo === slug && comment.number === number);
        return send(res, 200, all.slice((page - 1) * perPage, page * perPage).map(commentJson)), 200;
      }
      if (method === 'POST') {
        const body = await readJson(req);
        if (typeof body.body !== 'string') throw new HttpError(422, 'body is missing');
        const comment: StubComment = { id: nextCommentId++, repo: slug, number, body: body.body, user: login, edits: 0 };
        comments.push(comment);
        return send(res, 201, commentJson(comment)), 201;
      }
    }
    if (method === 'PATCH' && (m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path))) {
      const repo = repoOf(m[1]!, m[2]!);
      const comment = comments.find((candidate) => candidate.id === Number(m![3]) && candidate.repo === `${repo.owner}/${repo.name}`);
      if (!comment) throw new HttpError(404, 'Not Found');
      if (comment.user !== login) throw new HttpError(403, 'Resource not accessible by integration');
      const body = await readJson(req);
      if (typeof body.body !== 'string') throw new HttpError(422, 'body is missing');
      comment.body = body.body;
      comment.edits += 1;
      return send(res, 200, commentJson(comment)), 200;
    }
    throw new HttpError(404, 'Not Found');
  }

  const commentJson = (comment: StubComment) => ({ id: comment.id, body: comment.body, user: { login: comment.user }, html_url: `${url}/${comment.repo}/pull/${comment.number}#issuecomment-${comment.id}` });

  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://stub');
    const path = parsed.pathname;
    const key = `${req.method} ${path}`;
    const fault = faults.find((candidate) => candidate.match.test(key) && (candidate.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      requests.push({ method: req.method ?? 'GET', path, status: fault.status });
      send(res, fault.status, { message: fault.message ?? 'injected fault' }, fault.headers);
      return;
    }
    route(req, res, path, parsed.searchParams).then((status) => {
      requests.push({ method: req.method ?? 'GET', path, status });
    }, (error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      requests.push({ method: req.method ?? 'GET', path, status });
      if (!res.headersSent) send(res, status, { message: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url, token, login, statuses, comments, requests, faults,
    addRepo(owner, name, gitDir) {
      repos.set(`${owner}/${name}`.toLowerCase(), { owner, name, gitDir, pulls: new Map() });
    },
    addPull(owner, name, pull) {
      repoOf(owner, name).pulls.set(pull.number, pull);
    },
    pullRequestJson,
    async pullRequestEvent(owner, name, number, action) {
      const pullRequest = await pullRequestJson(owner, name, number);
      const repo = repoOf(owner, name);
      return { action, number, pull_request: pullRequest, repository: repositoryJson(repo.owner, repo.name), sender: { login: (pullRequest.user as { login: string }).login } };
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
