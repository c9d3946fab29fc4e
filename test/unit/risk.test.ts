import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiffFile } from '../../workflows/policy/diff.js';
import { noFindings, type ChangeFindings } from '../../workflows/policy/detectors/index.js';
import { assessRisk, netChangedLines, RISK_MAX, SIZE_STEPS } from '../../workflows/policy/riskHeuristic.js';

/** A file with `added`/`removed` code lines numbered from 1. */
function file(path: string, added: string[], removed: string[] = [], status: DiffFile['status'] = 'modified'): DiffFile {
  const numbered = (texts: string[]) => texts.map((text, i) => ({ line: i + 1, text }));
  return { path, oldPath: null, status, binary: false, added: numbered(added), removed: numbered(removed) };
}
const code = (n: number, prefix = 'x') => Array.from({ length: n }, (_, i) => `const ${prefix}${i} = compute(${i});`);
const evidence = (file: string) => [{ file, rule: 'test', excerpt: '' }];
const score = (files: DiffFile[], findings: ChangeFindings = noFindings()) => assessRisk(files, findings).score;
const factorNames = (files: DiffFile[], findings: ChangeFindings = noFindings()) => assessRisk(files, findings).factors.map((f) => f.name);

describe('assessRisk', () => {
  it('scores docs-only and tests-only changes 1', () => {
    assert.equal(score([file('README.md', ['# Title', 'More words'], ['# Titel'])]), 1);
    assert.equal(score([file('docs/guide/setup.md', ['Install it.']), file('src/app.test.ts', code(300))]), 1);
    assert.equal(score([file('web/theme.css', ['--muted: #777;'], ['--muted: #555;'])]), 1);
  });

  it('scores a small code change low', () => {
    assert.equal(score([file('src/util.ts', ['return items.includes(x);'], ['for (const i of items) if (i === x) return true;'])]), 1);
  });

  it('grows with net changed lines, step by step', () => {
    for (const [min, points] of SIZE_STEPS) {
      const result = assessRisk([file('src/big.ts', code(min)), file('src/big.test.ts', ['it()'])], noFindings());
      assert.equal(result.factors.find((f) => f.name === 'size')?.points, points, `${min} lines`);
    }
  });

  it('does not let a large behaviour-preserving move reach 7 by itself', () => {
    const moved = code(2000, 'moved');
    const files = [
      ...Array.from({ length: 40 }, (_, i) => file(`src/old/part${i}.py`, [], moved.slice(i * 50, i * 50 + 50), 'deleted')),
      ...Array.from({ length: 40 }, (_, i) => file(`src/new/part${i}.py`, moved.slice(i * 50, i * 50 + 50), [], 'added')),
      file('src/new/__init__.py', code(40, 'imp')),
    ];
    assert.equal(netChangedLines(files).moved, 4000);
    assert.ok(score(files) < 7, JSON.stringify(assessRisk(files, noFindings())));
    // Even with no move detected at all, size, spread and missing tests stay below 7.
    const rewritten = Array.from({ length: 40 }, (_, i) => file(`src/part${i}.py`, code(100, `n${i}_`), code(100, `o${i}_`)));
    assert.ok(score(rewritten) < 7);
  });

  it('adds points for sensitive, infra, config and dependency files', () => {
    assert.deepEqual(factorNames([file('src/auth/session.ts', ['a()'])]), ['sensitive-area']);
    assert.deepEqual(factorNames([file('.github/workflows/ci.yml', ['run: x'])]), ['infra']);
    assert.deepEqual(factorNames([file('config/settings/production.py', ['DEBUG = False'])]), ['config']);
    assert.deepEqual(factorNames([file('package.json', ['"lodash": "^4.17.21",'])]), ['dependencies']);
    // "authenticated" pages are not auth code: words, not substrings, decide.
    assert.deepEqual(factorNames([file('app/routes/_authenticated+/dashboard.tsx', ['<div/>'])]), []);
  });

  it('counts each finding kind once and names the files', () => {
    const findings: ChangeFindings = {
      schemaChange: evidence('db/migrate/1_x.rb'), newIntegration: evidence('package.json'),
      secret: [...evidence('.env'), ...evidence('config/x.yml')], apiBreaking: evidence('src/index.ts'),
      unsafeSymlink: evidence('public/env'),
    };
    const result = assessRisk([file('db/migrate/1_x.rb', ['add_column :a, :b, :string'])], findings);
    const kinds = result.factors.filter((f) => ['schemaChange', 'newIntegration', 'secret', 'apiBreaking', 'unsafeSymlink'].includes(f.name));
    assert.deepEqual(kinds.map((f) => f.points), [2, 2, 2, 2, 2]);
    assert.match(kinds.find((f) => f.name === 'secret')?.why ?? '', /\.env, config\/x\.yml/);
  });

  it('quotes a file name with a newline, so a factor stays one line', () => {
    const findings = { ...noFindings(), schemaChange: evidence('db/migrations/1_evil\nname.sql') };
    const why = assessRisk([file('db/migrations/1_evil\nname.sql', ['CREATE TABLE t (id int);'])], findings).factors.find((f) => f.name === 'schemaChange')?.why;
    assert.equal(why, 'schema change in "db/migrations/1_evil\\nname.sql"');
  });

  it('keeps a lone schema change honest (gates escalate it, not the score)', () => {
    const findings = { ...noFindings(), schemaChange: evidence('migrations/0002_x.py') };
    assert.equal(score([file('migrations/0002_x.py', ['migrations.AddField()'])], findings), 3);
  });

  it('clamps at 10 and is an integer, and the factors explain the score', () => {
    const findings: ChangeFindings = {
      schemaChange: evidence('a'), newIntegration: evidence('b'), secret: evidence('c'), apiBreaking: evidence('d'), unsafeSymlink: [],
    };
    const files = [file('src/billing/payment.ts', code(800)), file('Dockerfile', ['RUN x']), file('config/app.yml', ['a: 1'])];
    const result = assessRisk(files, findings);
    assert.equal(result.score, RISK_MAX);
    assert.ok(Number.isInteger(result.score));
    const small = assessRisk([file('src/auth/login.ts', code(40))], noFindings());
    assert.equal(small.score, 1 + small.factors.reduce((s, f) => s + f.points, 0));
  });

  it('is deterministic', () => {
    const files = [file('src/a.ts', code(120)), file('package.json', ['"stripe": "1"'])];
    assert.deepEqual(assessRisk(files, noFindings()), assessRisk(files, noFindings()));
  });
});
