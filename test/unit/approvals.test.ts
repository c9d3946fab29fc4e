import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ruleOnApproval, type ApprovalRules } from '../../workflows/policy/approvals.js';

const pending: ApprovalRules = { author: 'bob@example.com', approvers: [], awaitingApproval: true, stage: 'awaiting_approval' };

describe('ruleOnApproval', () => {
  const table: [string, 'approve' | 'reject', string, Partial<ApprovalRules>, boolean][] = [
    // Nothing counts unless an approval is pending.
    ['an approval when none is pending', 'approve', 'carol', { awaitingApproval: false }, false],
    ['a rejection when none is pending', 'reject', 'carol', { awaitingApproval: false }, false],
    // The author never approves their own change, under any spelling of their name.
    ['the author approving (same string)', 'approve', 'bob@example.com', {}, false],
    ['the author approving (case and space)', 'approve', '  BOB@Example.COM ', {}, false],
    ['the author approving by the local part of their email', 'approve', 'Bob', {}, false],
    ['the author approving by email when the author is a login', 'approve', 'bob@example.com', { author: 'bob' }, false],
    ['the author approving while on the approvers list', 'approve', 'bob', { author: 'bob', approvers: ['bob', 'carol'] }, false],
    // The author may withdraw.
    ['the author rejecting', 'reject', 'Bob', {}, true],
    ['the author rejecting while not on the approvers list', 'reject', 'bob', { approvers: ['carol'] }, true],
    // An empty list means anyone but the author.
    ['anyone else approving with no list', 'approve', 'carol', {}, true],
    ['anyone else rejecting with no list', 'reject', 'dave', {}, true],
    // A list restricts both approve and reject, by exact case-insensitive match.
    ['a listed approver', 'approve', 'carol', { approvers: ['carol'] }, true],
    ['a listed approver in other case and space', 'approve', ' CAROL ', { approvers: ['Carol'] }, true],
    ['a listed approver rejecting', 'reject', 'carol', { approvers: ['carol'] }, true],
    ['someone not listed approving', 'approve', 'dave', { approvers: ['carol'] }, false],
    ['someone not listed rejecting', 'reject', 'dave', { approvers: ['carol'] }, false],
    ['a login whose email is listed', 'approve', 'carol', { approvers: ['carol@corp.com'] }, false],
    ['an email whose login is listed', 'approve', 'carol@corp.com', { approvers: ['carol'] }, false],
    ['a prefix of a listed name', 'approve', 'car', { approvers: ['carol'] }, false],
  ];
  for (const [name, kind, by, rules, accepted] of table) {
    it(`${accepted ? 'accepts' : 'ignores'} ${name}`, () => {
      const ruling = ruleOnApproval(kind, by, { ...pending, ...rules });
      assert.equal(ruling.accepted, accepted, ruling.why);
    });
  }

  it('says why it ignored a signal', () => {
    assert.match(ruleOnApproval('approve', 'carol', { ...pending, awaitingApproval: false, stage: 'testing' }).why, /no approval is pending \(stage: testing\)/);
    assert.match(ruleOnApproval('approve', 'Bob', pending).why, /Bob is the author/);
    assert.match(ruleOnApproval('approve', 'dave', { ...pending, approvers: ['carol', 'erin'] }).why, /dave is not in the approvers list \(carol, erin\)/);
  });

  it('says who decided when it accepts', () => {
    assert.deepEqual(ruleOnApproval('approve', 'carol', pending), { accepted: true, why: 'approved by carol' });
    assert.deepEqual(ruleOnApproval('reject', 'carol', pending), { accepted: true, why: 'rejected by carol' });
  });
});
