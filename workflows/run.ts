/**
 * The state of one PR's pipeline: what the `status` query shows, the search attributes, and the
 * audit chain. Every decision goes through `record`, which seals it into history (see records.ts).
 */
import { CancellationScope, setCurrentDetails, upsertSearchAttributes, workflowInfo, log } from '@temporalio/workflow';
import type { PrInput } from './input.js';
import type { PolicyDecision } from '../activities/audit/recordDecision.js';
import { searchAttributes, type ApprovalAttempt, type CanaryControl, type Gate, type PipelineStatus, type Stage, type TokenUsage } from './messages.js';
import { GENESIS_HASH, NO_TOKENS, type DecisionDraft, type SealedDecision } from './records.js';
import { activitiesFor, type PipelineActivities } from './activityOptions.js';
import { deployLockActivitiesProxy, type DeployLockActivityProxies } from './deployLockClient.js';
import { GitHubReporter } from './github.js';
import { runVersion, type RunVersion } from './patches.js';

export class PipelineRun {
  /** Which code this run takes where the workflow changed: decided once, at its start. */
  readonly version: RunVersion = runVersion();
  readonly acts: PipelineActivities;
  readonly lockActs: DeployLockActivityProxies = deployLockActivitiesProxy();
  readonly github = new GitHubReporter(this);
  readonly workflowId = workflowInfo().workflowId;
  headSha: string;
  attempt = 1;
  /** Set by the revisionPushed signal; the pipeline restarts from review with it. */
  pendingHead: string | null = null;
  paused = false;
  /** pause/resume signals received but not yet sealed (the canary seals them with its verdicts). */
  unrecordedControls: CanaryControl[] = [];
  /** approve/reject attempts received but not yet sealed into the audit chain. */
  unrecorded: ApprovalAttempt[] = [];
  /** Effects the run lets go on while it continues (stopping a deployment, the lock's release), all settled before it ends. */
  private readonly inFlight: Promise<void>[] = [];
  /** Decisions those effects came to, sealed once they settle: the chain is only ever extended by one call at a time. */
  private readonly sealWhenSettled: PolicyDecision[] = [];
  private lastHash = GENESIS_HASH;
  private seq = 0;
  private tokens: TokenUsage = { ...NO_TOKENS };
  readonly status: PipelineStatus;

  constructor(readonly input: PrInput) {
    this.acts = activitiesFor(input.config);
    this.headSha = input.headSha;
    this.status = {
      stage: 'review', headSha: input.headSha, attempt: 1, gates: [], awaitingApproval: false, approvals: [],
      paused: false, tokens: this.tokens, decisions: 0,
    };
  }

  get lastDecisionHash(): string {
    return this.lastHash;
  }

  setStage(stage: Stage, details?: string): void {
    this.status.stage = stage;
    this.status.awaitingApproval = stage === 'awaiting_approval';
    upsertSearchAttributes([
      { key: searchAttributes.stage, value: stage },
      { key: searchAttributes.awaitingApproval, value: this.status.awaitingApproval },
    ]);
    this.describe(details ?? stage);
    this.github.stageChanged(stage, details ?? stage);
  }

  setRisk(riskScore: number, gates: Gate[]): void {
    this.status.riskScore = riskScore;
    this.status.gates = gates;
    upsertSearchAttributes([{ key: searchAttributes.riskScore, value: riskScore }]);
  }

  /** The one-line summary the Temporal UI shows for this run, kept current. */
  describe(now: string): void {
    const risk = this.status.riskScore === undefined ? '' : ` · risk ${this.status.riskScore}/10`;
    const gates = this.status.gates.length ? ` · gates: ${this.status.gates.join(', ')}` : '';
    setCurrentDetails(`**${this.input.title || this.input.headRef}** by ${this.input.author} · ${this.headSha.slice(0, 12)}${risk}${gates}\n\n${now}`);
  }

  async record(decision: { draft: DecisionDraft } | { policy: PolicyDecision }): Promise<void> {
    // seq and the chain advance only once sealed: a failed seal leaves no gap in the chain.
    const sealed = await this.acts.recordDecision({
      workflowId: this.workflowId,
      seq: this.seq + 1,
      prevHash: this.lastHash,
      draft: 'draft' in decision ? decision.draft : null,
      policy: 'policy' in decision ? decision.policy : null,
    });
    this.advance(sealed);
  }

  /** Seals several policy decisions in order with one local activity (one history event). */
  async recordAll(policies: PolicyDecision[]): Promise<void> {
    if (policies.length === 0) return;
    const sealed = await this.acts.recordDecisions({ workflowId: this.workflowId, seq: this.seq + 1, prevHash: this.lastHash, policies });
    sealed.forEach((one) => this.advance(one));
  }

  private advance(sealed: SealedDecision): void {
    this.seq = sealed.record.seq;
    this.lastHash = sealed.hash;
    const used = sealed.record.tokens;
    this.tokens.input += used.input;
    this.tokens.output += used.output;
    this.tokens.cacheRead += used.cacheRead;
    this.tokens.cacheWrite += used.cacheWrite;
    this.status.decisions = this.seq;
    log.info(`decision ${this.seq} [${sealed.record.stage}] ${sealed.record.decision}`);
  }

  /** Seals every approve/reject received since the last call, valid or not, into the audit chain. */
  async recordApprovalAttempts(): Promise<void> {
    while (this.unrecorded.length > 0) {
      const attempt = this.unrecorded.shift()!;
      await this.record({
        policy: {
          stage: 'awaiting_approval',
          decision: `${attempt.kind} by ${attempt.by || '(nobody)'} ${attempt.accepted ? 'accepted' : 'ignored'}`,
          rationale: attempt.why,
          gates: [],
          details: { by: attempt.by, reason: attempt.reason ?? null, accepted: attempt.accepted, receivedAt: attempt.at },
          input: attempt,
        },
      });
    }
  }

  /** Lets `effect` go on while the run continues; `settled()` waits for it before the run ends. */
  continueWhile(effect: Promise<void>): void {
    this.inFlight.push(effect);
  }

  /** For an effect let go on: a decision it came to, sealed by `settled()`. */
  recordWhenSettled(decision: PolicyDecision): void {
    this.sealWhenSettled.push(decision);
  }

  /** Not cancellable: an effect or a decision taken off the lists here is always waited for or sealed. */
  settled(): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      await Promise.all(this.inFlight.splice(0));
      await this.recordAll(this.sealWhenSettled.splice(0));
    });
  }

  get tokenTotals(): TokenUsage {
    return { ...this.tokens };
  }
}
