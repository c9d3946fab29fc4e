/**
 * Commit statuses and PR comments for GitHub repositories (nothing for local ones, so their histories
 * are unchanged): best effort and in order. Each publish is chained after the previous one, so a
 * status never overtakes an older one, and nothing waits for GitHub but `flush` at the end.
 */
import { log } from '@temporalio/workflow';
import type { PrComment } from '../activities/github/comment.js';
import type { PublishToGitHubInput } from '../activities/github/publish.js';
import type { Stage } from './messages.js';
import type { PipelineRun } from './run.js';

type State = PublishToGitHubInput['state'];

export class GitHubReporter {
  private chain: Promise<void> = Promise.resolve();
  /** The stage whose status is `pending`, on the head it was posted for. */
  private open: { stage: Stage; sha: string } | null = null;

  constructor(private readonly run: PipelineRun) {}

  private get enabled(): boolean {
    return this.run.input.repo.kind === 'github';
  }

  /** Called by setStage: closes the open stage (superseded when the head moved) and marks `next` pending. */
  stageChanged(next: Stage, details: string): void {
    // At `done`, finished() closes the open stage with the outcome.
    if (!this.enabled || next === 'done') return;
    const head = this.run.headSha;
    if (this.open && (this.open.stage !== next || this.open.sha !== head)) {
      if (this.open.sha !== head) this.publish(this.open.stage, this.open.sha, 'error', `superseded by ${head.slice(0, 12)}`);
      else this.publish(this.open.stage, head, next === 'rolling_back' ? 'failure' : 'success', next === 'rolling_back' ? details : 'done');
    }
    this.open = { stage: next, sha: head };
    this.publish(next, head, 'pending', details);
  }

  /** The run's end: the open stage and `prpilot/done` say how it ended, and the outcome comment is written. */
  finished(outcome: string, reason: string): void {
    if (!this.enabled) return;
    const state: State = outcome === 'deployed' ? 'success' : 'failure';
    if (this.open) this.publish(this.open.stage, this.open.sha, state, reason);
    this.open = null;
    this.publish('done', this.run.headSha, state, `${outcome}: ${reason}`, { kind: 'outcome', outcome, reason });
  }

  /** After the gate decision: `prpilot/review` carries the verdict, the comment the summary (and the commands when a gate fired). */
  reviewed(comment: PrComment, description: string): void {
    if (!this.enabled) return;
    this.publish('review', this.run.headSha, 'success', description, comment);
  }

  /** Waits for every publish so far (each bounded by its activity timeouts); failures were logged, not thrown. */
  flush(): Promise<void> {
    return this.chain;
  }

  private publish(stage: string, sha: string, state: State, description: string, comment?: PrComment): void {
    const input: PublishToGitHubInput = {
      repo: this.run.input.repo, workflowId: this.run.workflowId, sha, prNumber: this.run.input.prNumber, stage, state, description, comment,
    };
    this.chain = this.chain
      .then(() => this.run.acts.publishToGitHub(input))
      .then(() => undefined, (error: unknown) => log.warn(`GitHub ${stage} ${state} not published: ${error instanceof Error ? error.message : String(error)}`));
  }
}
