import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { ZodError } from 'zod';
import { POLICY_AGENT, recordDecisionActivity, type PolicyDecision } from '../../activities/audit/recordDecision.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { auditFromHistory, verifyChain } from '../../cli/audit/trail.js';
import { canonicalJson, GENESIS_HASH, NO_TOKENS, type DecisionDraft, type DecisionRecord, type SealedDecision } from '../../workflows/records.js';

const policySha256 = 'a'.repeat(64);
const recordDecision = recordDecisionActivity({ policySha256, now: () => new Date(0) } as unknown as ActivityDeps);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const reviewDraft: DecisionDraft = {
  stage: 'review', decision: 'risk 3', rationale: 'small change', agent: 'review', agentVersion: '1.0.0', model: 'claude-x',
  promptSha256: 'b'.repeat(64), inputSha256: 'c'.repeat(64), tokens: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 },
};
const gatePolicy: PolicyDecision = { stage: 'gates', decision: 'no gates', rationale: 'nothing fired', input: { riskScore: 3, findings: [] } };
const approvalPolicy: PolicyDecision = { stage: 'approval', decision: 'approved', rationale: 'approved by carol', gates: ['risk_threshold'], input: { by: 'carol' } };

/** Seals drafts in order, each chained to the previous record's hash, as the workflow does. */
async function seal(): Promise<SealedDecision[]> {
  const sealed: SealedDecision[] = [];
  let prevHash = GENESIS_HASH;
  for (const [index, item] of [{ draft: reviewDraft }, { policy: gatePolicy }, { policy: approvalPolicy }].entries()) {
    const result = await recordDecision({ workflowId: 'pr-1', seq: index + 1, prevHash, draft: null, policy: null, ...item });
    sealed.push(result);
    prevHash = result.hash;
  }
  return sealed;
}
const split = (sealed: SealedDecision[]): [DecisionRecord[], string[]] => [sealed.map((s) => s.record), sealed.map((s) => s.hash)];

describe('recordDecision', () => {
  it('seals a record with sequence, time and the previous hash', async () => {
    const { record, hash } = await recordDecision({ workflowId: 'pr-1', seq: 1, prevHash: GENESIS_HASH, draft: reviewDraft, policy: null });
    assert.deepEqual(record, { ...reviewDraft, gates: [], details: {}, seq: 1, workflowId: 'pr-1', at: '1970-01-01T00:00:00.000Z', prevHash: GENESIS_HASH });
    assert.equal(hash, sha256(canonicalJson(record)));
  });

  it('gives a policy decision the policy hash as its prompt and the hash of its input', async () => {
    const { record } = await recordDecision({ workflowId: 'pr-1', seq: 1, prevHash: GENESIS_HASH, draft: null, policy: approvalPolicy });
    assert.equal(record.agent, POLICY_AGENT);
    assert.equal(record.model, null);
    assert.equal(record.promptSha256, policySha256);
    assert.equal(record.inputSha256, sha256(canonicalJson({ by: 'carol' })));
    assert.deepEqual(record.tokens, NO_TOKENS);
    assert.deepEqual(record.gates, ['risk_threshold']);
    assert.equal('input' in record, false);
  });

  it('rejects a draft with missing fields', async () => {
    const { rationale: _dropped, ...incomplete } = reviewDraft;
    await assert.rejects(
      recordDecision({ workflowId: 'pr-1', seq: 1, prevHash: GENESIS_HASH, draft: incomplete as DecisionDraft, policy: null }),
      (error: unknown) => error instanceof ZodError && error.issues.some((issue) => issue.path.join('.') === 'rationale'),
    );
  });

  it('rejects a draft with a malformed hash and a call with nothing to record', async () => {
    await assert.rejects(recordDecision({ workflowId: 'pr-1', seq: 1, prevHash: GENESIS_HASH, draft: { ...reviewDraft, promptSha256: 'nope' }, policy: null }), ZodError);
    await assert.rejects(recordDecision({ workflowId: 'pr-1', seq: 1, prevHash: GENESIS_HASH, draft: null, policy: null }), /needs a draft or a policy decision/);
  });
});

describe('verifyChain', () => {
  it('accepts three records chained from the genesis hash', async () => {
    const sealed = await seal();
    assert.equal(sealed[0]?.record.prevHash, GENESIS_HASH);
    assert.equal(sealed[1]?.record.prevHash, sealed[0]?.hash);
    assert.equal(sealed[2]?.record.prevHash, sealed[1]?.hash);
    assert.deepEqual(verifyChain(...split(sealed)), { ok: true, problems: [], lastHash: sealed[2]?.hash });
  });

  it('names the record whose rationale was changed', async () => {
    const [records, hashes] = split(await seal());
    records[1] = { ...records[1]!, rationale: 'nothing to see here' };
    const chain = verifyChain(records, hashes);
    assert.equal(chain.ok, false);
    assert.match(chain.problems.join('\n'), /^record 2: content hashes to /m);
  });

  it('catches a changed record even when its sealed hash is recomputed', async () => {
    const [records, hashes] = split(await seal());
    records[0] = { ...records[0]!, decision: 'risk 1' };
    hashes[0] = sha256(canonicalJson(records[0]));
    const chain = verifyChain(records, hashes);
    assert.equal(chain.ok, false);
    assert.match(chain.problems.join('\n'), /^record 2: prevHash .* does not match/m);
  });

  it('catches reordered records', async () => {
    const [records, hashes] = split(await seal());
    const chain = verifyChain([records[0]!, records[2]!, records[1]!], [hashes[0]!, hashes[2]!, hashes[1]!]);
    assert.equal(chain.ok, false);
    assert.match(chain.problems.join('\n'), /record 2 has sequence number 3/);
  });

  it('catches a dropped record', async () => {
    const [records, hashes] = split(await seal());
    const chain = verifyChain([records[0]!, records[2]!], [hashes[0]!, hashes[2]!]);
    assert.equal(chain.ok, false);
    assert.match(chain.problems.join('\n'), /record 2 has sequence number 3/);
    assert.match(chain.problems.join('\n'), /record 3: prevHash/);
  });
});

describe('auditFromHistory', () => {
  /** Histories come from the server as protobuf objects (ids and times as Long), so build one the same way. */
  const history = (events: object[]) => proto.temporal.api.history.v1.History.fromObject({ events });
  const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);
  const marker = (eventId: number, activityType: string, result: unknown) => ({
    eventId,
    markerRecordedEventAttributes: {
      markerName: 'core_local_activity',
      details: { data: { payloads: [payload({ seq: eventId, attempt: 1, activity_id: String(eventId), activity_type: activityType })] }, result: { payloads: [payload(result)] } },
    },
  });

  it('rebuilds the records and signals and verifies the chain', async () => {
    const sealed = await seal();
    const trail = auditFromHistory(history([
      marker(5, 'recordDecision', sealed[0]),
      marker(6, 'someOtherLocalActivity', { ignored: true }),
      marker(7, 'recordDecision', sealed[1]),
      {
        eventId: 8,
        eventTime: { seconds: 60, nanos: 500_000_000 },
        workflowExecutionSignaledEventAttributes: { signalName: 'approve', input: { payloads: [payload({ by: 'carol' })] }, identity: 'cli@host' },
      },
      marker(9, 'recordDecision', sealed[2]),
    ]));
    assert.deepEqual(trail.records, sealed.map((s) => s.record));
    assert.deepEqual(trail.chain, { ok: true, problems: [], lastHash: sealed[2]?.hash });
    assert.deepEqual(trail.signals, [{ eventId: 8, at: '1970-01-01T00:01:00.500Z', name: 'approve', input: { by: 'carol' }, identity: 'cli@host' }]);
  });

  it('reports a record whose sealed hash does not match its content', async () => {
    const sealed = await seal();
    const forged = { ...sealed[1]!, record: { ...sealed[1]!.record, rationale: 'edited' } };
    const trail = auditFromHistory(history([marker(5, 'recordDecision', sealed[0]), marker(6, 'recordDecision', forged), marker(7, 'recordDecision', sealed[2])]));
    assert.equal(trail.chain.ok, false);
    assert.match(trail.chain.problems.join('\n'), /^record 2: content hashes to /m);
  });
});
