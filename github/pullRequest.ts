import type { GitHubClient } from './client.js';
import type { GitHubRepoName } from './repo.js';
import type { GitHubPullRequest } from './schemas.js';

/** What prpilot needs of a pull request, from the API or from a webhook payload (the same shape). */
export interface PullRequestInfo {
  /** The base repository, spelled as GitHub spells it. */
  repo: GitHubRepoName;
  number: number;
  state: string;
  title: string;
  body: string;
  author: string;
  baseRef: string;
  baseSha: string;
  headRef: string;
  headSha: string;
  cloneUrl: string | null;
  /** The head lives in another repository: its author may have no write access to this one. */
  fromFork: boolean;
}

export function pullRequestInfo(pr: GitHubPullRequest): PullRequestInfo {
  return {
    repo: { owner: pr.base.repo.owner.login, name: pr.base.repo.name },
    number: pr.number,
    state: pr.state,
    title: pr.title,
    body: pr.body ?? '',
    author: pr.user.login,
    baseRef: pr.base.ref,
    baseSha: pr.base.sha,
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    cloneUrl: pr.base.repo.clone_url ?? null,
    fromFork: pr.head.repo === null || pr.head.repo.full_name !== pr.base.repo.full_name,
  };
}

export async function fetchPullRequest(client: GitHubClient, repo: GitHubRepoName, number: number): Promise<PullRequestInfo> {
  return pullRequestInfo(await client.getPullRequest(repo, number));
}
