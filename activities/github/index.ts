import { publishToGitHubActivity, type GitHubActivityDeps } from './publish.js';

/** The GitHub reporting activities; spread into createActivities. `github: null` (no GITHUB_TOKEN) fails them clearly. */
export function githubActivities(deps: GitHubActivityDeps) {
  return { publishToGitHub: publishToGitHubActivity(deps) };
}

export type { GitHubActivityDeps, PublishToGitHubInput, PublishToGitHubResult } from './publish.js';
export type { PrComment } from './comment.js';
