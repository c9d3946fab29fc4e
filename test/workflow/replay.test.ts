/**
 * Determinism guard: every saved history (test/histories, refreshed by `npm run histories`) must
 * replay against the current workflow code. A change that alters history without patched() fails here.
 * Each file is also checked to be what its name says (workflow type, and the outcome of a PR run), and
 * the current files must cover every outcome of prToProduction and the deploy lock.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { DEPLOY_LOCK_WORKFLOW_TYPE } from '../../workflows/deployLockMessages.js';
import { WORKFLOW_TYPE, outcomes, type Outcome } from '../../workflows/messages.js';
import { quietRuntime, workflowBundle } from '../helpers/temporal.js';

const dir = new URL('../histories/', import.meta.url);

/** What each history is, by file name without its version prefix (v<N>-). A deploy lock runs on, so it has no outcome. */
const KINDS: Record<string, { workflowType: string; outcome?: Outcome }> = {
  'demo-clean.json': { workflowType: WORKFLOW_TYPE, outcome: 'deployed' },
  'demo-risky.json': { workflowType: WORKFLOW_TYPE, outcome: 'deployed' },
  'demo-bad.json': { workflowType: WORKFLOW_TYPE, outcome: 'rolled_back' },
  'demo-rejected.json': { workflowType: WORKFLOW_TYPE, outcome: 'rejected' },
  'demo-expired.json': { workflowType: WORKFLOW_TYPE, outcome: 'expired' },
  'demo-failed.json': { workflowType: WORKFLOW_TYPE, outcome: 'failed' },
  'demo-revised.json': { workflowType: WORKFLOW_TYPE, outcome: 'deployed' },
  'deploy-lock.json': { workflowType: DEPLOY_LOCK_WORKFLOW_TYPE },
};

/** The parts of the temporal CLI's history JSON (as written by scripts/refresh-histories.ts) checked here. */
interface HistoryJson {
  events: {
    workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
    workflowExecutionCompletedEventAttributes?: { result?: { payloads?: { data: string }[] } };
    signalExternalWorkflowExecutionInitiatedEventAttributes?: { signalName: string };
    activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  }[];
}

const kindOf = (file: string) => KINDS[file.replace(/^v\d+-/, '')];
const readHistory = async (file: string) => JSON.parse(await readFile(new URL(file, dir), 'utf8')) as HistoryJson;

/** The workflow's result (json/plain), or null while it runs. */
function resultOf(history: HistoryJson): Record<string, unknown> | null {
  const payload = history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  return payload ? JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<string, unknown> : null;
}

function replay(history: HistoryJson, workflowId: string): Promise<void> {
  quietRuntime();
  return workflowBundle().then((bundle) => Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId));
}

describe('saved histories replay', async () => {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json')).sort();

  it('covers every outcome of prToProduction and the deploy lock, in the current version', () => {
    const current = files.filter((file) => !/^v\d+-/.test(file));
    for (const outcome of outcomes) {
      assert.ok(current.some((file) => kindOf(file)?.outcome === outcome), `a current history ending ${outcome} (npm run histories)`);
    }
    assert.ok(current.some((file) => kindOf(file)?.workflowType === DEPLOY_LOCK_WORKFLOW_TYPE), 'test/histories/deploy-lock.json');
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const kind = kindOf(file);
      assert.ok(kind, `${file}: unknown history, add it to KINDS in this test`);
      const history = await readHistory(file);
      assert.equal(history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name, kind.workflowType, `${file}: workflow type`);
      const result = resultOf(history);
      if (kind.outcome) {
        assert.equal(result?.outcome, kind.outcome, `${file}: a completed run with outcome ${kind.outcome}`);
      } else {
        const grants = history.events.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'deployLockGranted');
        assert.ok(grants.length > 0, `${file}: the lock granted at least one canary`);
      }
      // Rejects (DeterminismViolationError, or the workflow task's failure) if the code no longer matches the history.
      await replay(history, file);
    });
  }

  it('has a run whose canary is rolled back when a revision is pushed mid-canary, in the current version', async () => {
    const history = await readHistory('demo-revised.json');
    const scheduled = history.events.map((event) => event.activityTaskScheduledEventAttributes?.activityType.name).filter(Boolean);
    const rollback = scheduled.indexOf('rollbackCanary');
    assert.ok(rollback >= 0, 'demo-revised.json: a rollbackCanary activity was scheduled');
    assert.ok(scheduled.lastIndexOf('startCanary') > rollback, 'demo-revised.json: the new head\'s canary started after the old one was rolled back');
  });

  it('fails on a history the code no longer matches (the guard is not vacuous)', async () => {
    const history = await readHistory('demo-clean.json');
    const scheduled = history.events.find((event) => event.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    scheduled.activityType.name = 'notAnActivityOfThisWorkflow';
    await assert.rejects(replay(history, 'tampered-demo-clean'), DeterminismViolationError);
  });
});
