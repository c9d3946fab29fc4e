/**
 * A small GitHub REST client: the calls prpilot makes, each answer parsed with zod (schemas.ts), each
 * failure a GitHubError saying what to do (errors.ts). No retries here: Temporal retries activities,
 * and the CLI fails at once with the reason. `apiUrl` may point anywhere (GitHub Enterprise's
 * `https://HOST/api/v3`, or the test stub).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { z } from 'zod';
import { diffTooLargeReason } from '../activities/change/validateDiff.js';
import { errorFromNetwork, errorFromResponse, GitHubError } from './errors.js';
import { repoSlug, type GitHubRepoName } from './repo.js';
import {
  commitStatusSchema, fileContentSchema, gitBlobSchema, gitTreeSchema, githubUserSchema, issueCommentSchema, pullRequestSchema,
  type GitHubPullRequest, type GitTree, type IssueComment,
} from './schemas.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export interface GitHubClientOptions {
  apiUrl: string;
  token: string | null;
  fetch?: typeof fetch;
  /** Time limit of one JSON call (default 30 s); downloads take their own. */
  timeoutMs?: number;
  now?: () => number;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: CommitState;
  context: string;
  description: string;
  targetUrl?: string;
}

interface RequestOptions {
  accept?: string;
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const COMMENT_PAGES = 30;

export function createGitHubClient(options: GitHubClientOptions) {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send(method: string, path: string, what: string, request: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      accept: request.accept ?? 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'prpilot',
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(request.timeoutMs ?? timeoutMs);
    let response: Response;
    try {
      response = await fetchImpl(`${apiUrl}${path}`, {
        method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: request.signal ? AbortSignal.any([timeout, request.signal]) : timeout,
        redirect: 'follow',
      });
    } catch (error) {
      throw errorFromNetwork(error, what, apiUrl);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromResponse(response.status, response.headers, messageOf(text), what, now());
    }
    return response;
  }

  async function json<S extends z.ZodType>(schema: S, method: string, path: string, what: string, body?: unknown): Promise<z.infer<S>> {
    const response = await send(method, path, what, { body });
    const text = await response.text().catch((error: unknown) => { throw errorFromNetwork(error, what, apiUrl); });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new GitHubError(`GitHub's answer to ${what} is not JSON: ${text.slice(0, 200)}`, 'invalid_response', response.status);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new GitHubError(`GitHub's answer to ${what} is not what prpilot expects (${problems})`, 'invalid_response', response.status);
    }
    return parsed.data;
  }

  const repoPath = (repo: GitHubRepoName) => `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
  let login: Promise<string | null> | null = null;

  return {
    apiUrl,

    getPullRequest(repo: GitHubRepoName, number: number): Promise<GitHubPullRequest> {
      return json(pullRequestSchema, 'GET', `${repoPath(repo)}/pulls/${number}`, `reading PR #${number} of ${repoSlug(repo)}`);
    },

    /** A file's text at `ref`, or null when it does not exist there. */
    async getFileText(repo: GitHubRepoName, file: string, ref: string): Promise<string | null> {
      const path = `${repoPath(repo)}/contents/${file.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(ref)}`;
      try {
        const content = await json(fileContentSchema, 'GET', path, `reading ${file} at ${ref.slice(0, 12)} of ${repoSlug(repo)}`);
        if (content.encoding !== 'base64') {
          throw new GitHubError(`GitHub sent ${file} of ${repoSlug(repo)} as ${content.encoding}, not base64 (is it larger than 1 MB?)`, 'invalid_response', 200);
        }
        return Buffer.from(content.content, 'base64').toString('utf8');
      } catch (error) {
        if (error instanceof GitHubError && error.kind === 'not_found') return null;
        throw error;
      }
    },

    /** Every path of the commit's tree with its git mode (GitHub stops listing very large trees: `truncated`). */
    getTree(repo: GitHubRepoName, sha: string): Promise<GitTree> {
      return json(gitTreeSchema, 'GET', `${repoPath(repo)}/git/trees/${encodeURIComponent(sha)}?recursive=1`, `listing the tree of ${sha.slice(0, 12)} of ${repoSlug(repo)}`);
    },

    /** A blob's bytes, as text (a symbolic link's blob is its target). */
    async getBlobText(repo: GitHubRepoName, sha: string): Promise<string> {
      const blobName = `blob ${sha.slice(0, 12)} of ${repoSlug(repo)}`;
      const blob = await json(gitBlobSchema, 'GET', `${repoPath(repo)}/git/blobs/${encodeURIComponent(sha)}`, `reading ${blobName}`);
      if (blob.encoding !== 'base64') throw new GitHubError(`GitHub sent ${blobName} as ${blob.encoding}, not base64`, 'invalid_response', 200);
      return Buffer.from(blob.content, 'base64').toString('utf8');
    },

    /** `git diff base...head` as GitHub computes it (against the merge base, like the PR's Files tab). */
    async compareDiff(repo: GitHubRepoName, base: string, head: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
      const what = `reading the diff ${base.slice(0, 12)}...${head.slice(0, 12)} of ${repoSlug(repo)}`;
      const response = await send('GET', `${repoPath(repo)}/compare/${base}...${head}`, what, { accept: 'application/vnd.github.diff', timeoutMs: 120_000, signal });
      return readCapped(response, maxBytes, what, apiUrl);
    },

    /** The commit's tree as a gzipped tarball stream (GitHub redirects to its download host; fetch follows). */
    async tarball(repo: GitHubRepoName, sha: string, signal?: AbortSignal): Promise<Readable> {
      const what = `downloading ${sha.slice(0, 12)} of ${repoSlug(repo)}`;
      const response = await send('GET', `${repoPath(repo)}/tarball/${sha}`, what, { timeoutMs: 10 * 60_000, signal });
      if (!response.body) throw new GitHubError(`GitHub sent no body while ${what}`, 'invalid_response', response.status);
      return Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    },

    async createStatus(repo: GitHubRepoName, sha: string, status: CommitStatus): Promise<{ id: number }> {
      const body = { state: status.state, context: status.context, description: status.description, ...(status.targetUrl ? { target_url: status.targetUrl } : {}) };
      return json(commitStatusSchema, 'POST', `${repoPath(repo)}/statuses/${sha}`, `setting the ${status.context} status of ${sha.slice(0, 12)} in ${repoSlug(repo)}`, body);
    },

    async listIssueComments(repo: GitHubRepoName, number: number): Promise<IssueComment[]> {
      const comments: IssueComment[] = [];
      for (let page = 1; page <= COMMENT_PAGES; page++) {
        const batch = await json(issueCommentSchema.array(), 'GET', `${repoPath(repo)}/issues/${number}/comments?per_page=100&page=${page}`, `reading the comments of PR #${number} of ${repoSlug(repo)}`);
        comments.push(...batch);
        if (batch.length < 100) break;
      }
      return comments;
    },

    createIssueComment(repo: GitHubRepoName, number: number, body: string): Promise<IssueComment> {
      return json(issueCommentSchema, 'POST', `${repoPath(repo)}/issues/${number}/comments`, `commenting on PR #${number} of ${repoSlug(repo)}`, { body });
    },

    updateIssueComment(repo: GitHubRepoName, commentId: number, body: string): Promise<IssueComment> {
      return json(issueCommentSchema, 'PATCH', `${repoPath(repo)}/issues/comments/${commentId}`, `updating comment ${commentId} in ${repoSlug(repo)}`, { body });
    },

    /** The token's own login, or null when the token cannot say (e.g. a GitHub App installation token). Asked once. */
    authenticatedLogin(): Promise<string | null> {
      login ??= json(githubUserSchema, 'GET', '/user', 'reading the token\'s user').then((user) => user.login, () => null);
      return login;
    },
  };
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;

/** One client per repository: today one token for all, later perhaps an installation token per repo. */
export type GitHubClientFactory = (repo: GitHubRepoName) => GitHubClient;

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: show the start of the text
  }
  return text.trim().slice(0, 200);
}

async function readCapped(response: Response, maxBytes: number, what: string, apiUrl: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!response.body) return Buffer.alloc(0);
  try {
    for await (const chunk of Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)) {
      size += (chunk as Buffer).length;
      // Throwing out of the loop destroys the stream, so the rest is never downloaded.
      if (size > maxBytes) {
        throw new GitHubError(diffTooLargeReason(`${what}: the diff`, maxBytes), 'too_large', response.status);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof GitHubError) throw error;
    throw errorFromNetwork(error, what, apiUrl);
  }
  return Buffer.concat(chunks);
}
