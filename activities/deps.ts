import type { ArtifactStore } from './artifacts/store.js';
import type { LocalTarget } from '../targets/local/types.js';
import type { DeployTarget } from '../targets/deployTarget.js';
import type { CommandTargetConfig } from '../targets/command/config.js';
import type { ReviewAgent } from './review/agent.js';
import type { TestAgent } from './tests/agent.js';
import type { ValidationAgent } from './validation/agent.js';
import type { DeploymentAgent } from './deployment/agent.js';
import type { Notifier } from './notify/notifier.js';
import type { HomePaths } from '../config/paths.js';
import type { GitHubClientFactory } from '../github/client.js';

export interface Agents {
  review: ReviewAgent;
  tests: TestAgent;
  validation: ValidationAgent;
  deployment: DeploymentAgent;
}

/** Everything activities touch outside their own code, injected so tests hand in local parts. */
export interface ActivityDeps {
  paths: HomePaths;
  artifacts: ArtifactStore;
  /** The worker's own processes: staging always, and canaries of `deploy.target: local`. */
  target: LocalTarget;
  /** The user's deploy scripts, for canaries of `deploy.target: command`. */
  commandTarget: (config: CommandTargetConfig) => DeployTarget;
  agents: Agents;
  notifier: Notifier;
  /** GitHub's API for repositories of kind 'github' (null: no GITHUB_TOKEN on this worker). */
  github: GitHubClientFactory | null;
  /** The Temporal UI link of a workflow, for links posted elsewhere. */
  workflowUrl: (workflowId: string) => string;
  /** sha256 of the policy modules' source: the "prompt" of decisions the code makes. */
  policySha256: string;
  now: () => Date;
}
