import { readEnv, type PrpilotEnv } from '../config/env.js';
import { createGitHubClient, type GitHubClientFactory } from './client.js';

/** The GitHub client factory for GITHUB_TOKEN and GITHUB_API_URL, or null when no token is set. */
export function githubClientFactoryFromEnv(env: Pick<PrpilotEnv, 'GITHUB_TOKEN' | 'GITHUB_API_URL'> = readEnv()): GitHubClientFactory | null {
  if (!env.GITHUB_TOKEN) return null;
  const client = createGitHubClient({ apiUrl: env.GITHUB_API_URL, token: env.GITHUB_TOKEN });
  return () => client;
}

/** Says what to set when a GitHub repo is used without a token. */
export const MISSING_TOKEN_HELP = 'set GITHUB_TOKEN to a token that can read the repository (contents and pull requests) and write commit statuses and PR comments';
