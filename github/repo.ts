/** GitHub repository names as prpilot uses them: `owner/name`, and the PR workflow id built from them. */

export interface GitHubRepoName {
  owner: string;
  name: string;
}

// GitHub's own rules: an owner is 1-39 letters, digits or hyphens; a repository name 1-100 of [A-Za-z0-9._-].
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** `owner/name` as a GitHub repository, or null when the text is not shaped like one. */
export function parseRepoSlug(text: string): GitHubRepoName | null {
  const parts = text.split('/');
  if (parts.length !== 2) return null;
  const [owner, name] = parts as [string, string];
  if (!OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') return null;
  return { owner, name: name.endsWith('.git') ? name.slice(0, -4) : name };
}

export function repoSlug(repo: GitHubRepoName): string {
  return `${repo.owner}/${repo.name}`;
}

/** DESIGN.md: `pr-<owner>-<repo>-<number>`, with the names as GitHub spells them (the API's and webhooks' spelling). */
export function githubWorkflowId(repo: GitHubRepoName, prNumber: number): string {
  return `pr-${repo.owner}-${repo.name}-${prNumber}`;
}
