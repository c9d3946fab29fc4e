import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffCoverage, overallCoverage, parseLcov } from '../../activities/tests/lcov.js';
import type { DiffFile } from '../../workflows/policy/diff.js';

const root = '/repo';
const tracefile = [
  'TN:',
  'SF:/repo/src/app.ts',
  'DA:1,1',
  'DA:2,0',
  'DA:3,5',
  'DA:4,0',
  'end_of_record',
  'SF:./lib/util.js',
  'DA:10,2,abc123', // lcov allows a checksum after the hit count
  'DA:11,0',
  'end_of_record',
  'SF:src/app.ts', // a second record for the same file: hits merge
  'DA:2,3',
  'end_of_record',
].join('\r\n');

const modified = (path: string, lines: number[]): DiffFile => ({
  path, oldPath: null, status: 'modified', binary: false, added: lines.map((line) => ({ line, text: `line ${line}` })), removed: [],
});

describe('parseLcov', () => {
  const coverage = parseLcov(tracefile, root);

  it('keys files by repo-relative path, from absolute and relative SF lines', () => {
    assert.deepEqual([...coverage.keys()].sort(), ['lib/util.js', 'src/app.ts']);
  });

  it('reads hits per line, merging records of the same file', () => {
    assert.deepEqual([...(coverage.get('src/app.ts') ?? [])], [[1, 1], [2, 3], [3, 5], [4, 0]]);
    assert.deepEqual([...(coverage.get('lib/util.js') ?? [])], [[10, 2], [11, 0]]);
  });

  it('ignores DA lines outside a record', () => {
    assert.equal(parseLcov('DA:1,1\nend_of_record\n', root).size, 0);
  });
});

describe('overallCoverage', () => {
  it('counts instrumented lines and the ones that ran', () => {
    assert.deepEqual(overallCoverage(parseLcov(tracefile, root)), { total: 6, covered: 4, percent: 66.7 });
  });

  it('is 100% of nothing for an empty report', () => {
    assert.deepEqual(overallCoverage(parseLcov('', root)), { total: 0, covered: 0, percent: 100 });
  });
});

describe('diffCoverage', () => {
  const coverage = parseLcov(tracefile, root);
  const table: [string, DiffFile[], { total: number; covered: number; percent: number }][] = [
    ['added lines that all ran', [modified('src/app.ts', [1, 3])], { total: 2, covered: 2, percent: 100 }],
    ['added lines, one never ran', [modified('src/app.ts', [3, 4])], { total: 2, covered: 1, percent: 50 }],
    ['uninstrumented added lines (comments, blanks)', [modified('src/app.ts', [3, 4, 5, 6, 7])], { total: 2, covered: 1, percent: 50 }],
    ['a file the report does not know', [modified('README.md', [1, 2, 3])], { total: 0, covered: 0, percent: 100 }],
    ['several files', [modified('src/app.ts', [1, 4]), modified('lib/util.js', [10, 11, 12])], { total: 4, covered: 2, percent: 50 }],
    ['a deletion only', [{ ...modified('src/app.ts', []), removed: [{ line: 2, text: 'x' }] }], { total: 0, covered: 0, percent: 100 }],
  ];
  for (const [name, files, expected] of table) {
    it(`covers ${name}`, () => assert.deepEqual(diffCoverage(coverage, files), expected));
  }
});
