import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createArtifactStore } from '../../activities/artifacts/store.js';
import { writeIncidentReportActivity } from '../../activities/deployment/activity.js';
import { createOfflineDeploymentAgent } from '../../activities/deployment/offline.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { healthy, intervalVerdict } from '../workflow/fakes.js';

const root = mkdtempSync(join(tmpdir(), 'prpilot-incident-'));
after(() => rmSync(root, { recursive: true, force: true }));

const artifacts = createArtifactStore(root);
const deps = { artifacts, agents: { deployment: createOfflineDeploymentAgent() }, now: () => new Date() } as unknown as ActivityDeps;
const writeIncidentReport = writeIncidentReportActivity(deps);

const facts = {
  workflowId: 'wf-1', service: 'svc', title: 'a change', headSha: 'f'.repeat(40), reasons: ['canary error rate 20.0% > limit 0.5%'],
  canary: healthy, stable: healthy, timeline: [], auditCommand: 'prpilot audit wf-1', notifyTeam: false,
};
const verdicts = [intervalVerdict('pass'), intervalVerdict('pass'), intervalVerdict('inconclusive'), intervalVerdict('fail')];
const tableRows = (markdown: string) => markdown.split('\n').filter((line) => /^\| \d+s/.test(line));

describe('the incident report of a canary v3 rollback', () => {
  it('reads every verdict back from the verdict log whose hash the workflow carried', async () => {
    const { sha256 } = await artifacts.put(JSON.stringify(verdicts));
    const judge = { step: 1, percent: 5, source: 'proxy' as const, intervals: verdicts.slice(-1), verdictLogSha256: sha256 };
    const { reportSha256 } = await writeIncidentReport({ ...facts, judge });
    const rows = tableRows(await artifacts.getText(reportSha256));
    assert.deepEqual(rows.map((row) => row.split('|')[2]?.trim()), ['pass', 'pass', 'inconclusive', 'fail']);
  });

  it('without a log, reports the verdicts it was given', async () => {
    const { reportSha256 } = await writeIncidentReport({ ...facts, judge: { step: 1, percent: 5, source: 'proxy', intervals: verdicts.slice(-1) } });
    assert.equal(tableRows(await artifacts.getText(reportSha256)).length, 1);
  });

  it('fails rather than report from a log that is not the one sealed', async () => {
    const judge = { step: 1, percent: 5, source: 'proxy' as const, intervals: verdicts.slice(-1), verdictLogSha256: 'e'.repeat(64) };
    await assert.rejects(writeIncidentReport({ ...facts, judge }), /artifact e{64} is not in/);
  });
});
