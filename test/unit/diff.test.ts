import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUnifiedDiff, unquote } from '../../workflows/policy/diff.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('parseUnifiedDiff', () => {
  it('reads a modified file with line numbers on both sides', () => {
    const [f, ...rest] = parseUnifiedDiff(lines(
      'diff --git a/src/app.ts b/src/app.ts',
      'index 1111111..2222222 100644',
      '--- a/src/app.ts',
      '+++ b/src/app.ts',
      '@@ -10,4 +10,5 @@ export function main() {',
      ' const a = 1;',
      '-const b = 2;',
      '+const b = 3;',
      '+const c = 4;',
      ' return a;',
      '@@ -40,2 +41,2 @@',
      '-old();',
      '+young();',
      ' end();',
    ));
    assert.equal(rest.length, 0);
    assert.deepEqual(f, {
      path: 'src/app.ts', oldPath: null, status: 'modified', binary: false,
      added: [{ line: 11, text: 'const b = 3;' }, { line: 12, text: 'const c = 4;' }, { line: 41, text: 'young();' }],
      removed: [{ line: 11, text: 'const b = 2;' }, { line: 40, text: 'old();' }],
    });
  });

  it('reads added and deleted files against /dev/null', () => {
    const files = parseUnifiedDiff(lines(
      'diff --git a/new.txt b/new.txt',
      'new file mode 100644',
      'index 0000000..1111111',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1,2 @@',
      '+hello',
      '+world',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      'index 1111111..0000000',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
    ));
    assert.deepEqual(files.map((f) => [f.path, f.status, f.added.length, f.removed.length]), [
      ['new.txt', 'added', 2, 0],
      ['gone.txt', 'deleted', 0, 1],
    ]);
    assert.deepEqual(files[1]?.removed, [{ line: 1, text: 'bye' }]);
  });

  it('reads pure renames (no hunks), renames with changes and copies', () => {
    const files = parseUnifiedDiff(lines(
      'diff --git a/old/name.ts b/new/name.ts',
      'similarity index 100%',
      'rename from old/name.ts',
      'rename to new/name.ts',
      'diff --git a/a.py b/b.py',
      'similarity index 90%',
      'rename from a.py',
      'rename to b.py',
      'index 1111111..2222222 100644',
      '--- a/a.py',
      '+++ b/b.py',
      '@@ -1 +1 @@',
      '-x = 1',
      '+x = 2',
      'diff --git a/src.c b/copy.c',
      'similarity index 95%',
      'copy from src.c',
      'copy to copy.c',
    ));
    assert.deepEqual(files.map((f) => [f.path, f.oldPath, f.status]), [
      ['new/name.ts', 'old/name.ts', 'renamed'],
      ['b.py', 'a.py', 'renamed'],
      ['copy.c', 'src.c', 'added'],
    ]);
    assert.deepEqual(files[1]?.added, [{ line: 1, text: 'x = 2' }]);
  });

  it('decodes quoted paths with octal UTF-8 escapes and paths with spaces', () => {
    const files = parseUnifiedDiff(lines(
      'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"',
      'index 1111111..2222222 100644',
      '--- "a/caf\\303\\251.txt"',
      '+++ "b/caf\\303\\251.txt"',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      'diff --git a/docs/my notes.md b/docs/my notes.md',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/docs/my notes.md',
      '@@ -0,0 +1 @@',
      '+hi',
      'diff --git "a/tab\\there.txt" "b/quote\\"d.txt"',
      'similarity index 100%',
      'rename from "tab\\there.txt"',
      'rename to "quote\\"d.txt"',
    ));
    assert.deepEqual(files.map((f) => f.path), ['café.txt', 'docs/my notes.md', 'quote"d.txt']);
    assert.equal(files[2]?.oldPath, 'tab\there.txt');
    assert.equal(unquote('"\\344\\275\\240\\345\\245\\275"'), '你好');
  });

  it('marks binary files, with or without a GIT binary patch, and skips the patch body', () => {
    const files = parseUnifiedDiff(lines(
      'diff --git a/logo.png b/logo.png',
      'index 1111111..2222222 100644',
      'Binary files a/logo.png and b/logo.png differ',
      'diff --git a/icon.ico b/icon.ico',
      'new file mode 100644',
      'index 0000000..3333333',
      'GIT binary patch',
      'literal 12',
      'zcmZ?wbhEHbRA5kGXkcKtpj)@3',
      '',
      'literal 0',
      'HcmV?d00001',
      '',
      'diff --git a/x.txt b/x.txt',
      '--- a/x.txt',
      '+++ b/x.txt',
      '@@ -1 +1 @@',
      '-1',
      '+2',
    ));
    assert.deepEqual(files.map((f) => [f.path, f.status, f.binary, f.added.length]), [
      ['logo.png', 'modified', true, 0],
      ['icon.ico', 'added', true, 0],
      ['x.txt', 'modified', false, 1],
    ]);
  });

  it('ignores "\\ No newline at end of file" markers', () => {
    const [f] = parseUnifiedDiff(lines(
      'diff --git a/.env.example b/.env.example',
      '--- a/.env.example',
      '+++ b/.env.example',
      '@@ -1,2 +1,3 @@',
      ' A=1',
      '-B=2',
      '\\ No newline at end of file',
      '+B=3',
      '+C=4',
      '\\ No newline at end of file',
    ));
    assert.deepEqual(f?.removed, [{ line: 2, text: 'B=2' }]);
    assert.deepEqual(f?.added, [{ line: 2, text: 'B=3' }, { line: 3, text: 'C=4' }]);
  });

  it('takes hunk bodies by count: removed lines that look like headers stay content', () => {
    const [f, g] = parseUnifiedDiff(lines(
      'diff --git a/schema.sql b/schema.sql',
      '--- a/schema.sql',
      '+++ b/schema.sql',
      '@@ -1,3 +1,2 @@',
      '--- a comment',
      '-++ not a header',
      '+-- a comment',
      ' SELECT 1;',
      'diff --git a/b.txt b/b.txt',
      '--- a/b.txt',
      '+++ b/b.txt',
      '@@ -1 +1 @@',
      '-x',
      '+y',
    ));
    assert.deepEqual(f?.removed.map((l) => l.text), ['-- a comment', '++ not a header']);
    assert.deepEqual(f?.added.map((l) => l.text), ['-- a comment']);
    assert.equal(g?.path, 'b.txt');
  });

  it('accepts git show --format=email output: header, message and diffstat are skipped', () => {
    const files = parseUnifiedDiff(lines(
      'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
      'From: Dev <dev@example.com>',
      'Date: Tue, 8 Jul 2025 12:06:56 +0530',
      'Subject: [PATCH] refactor!: remove old API',
      '',
      '```diff',
      '- import { old } from "x"',
      '+ import { young } from "x"',
      '--- a/fake.ts',
      '+++ b/fake.ts',
      '```',
      '---',
      ' src/api.ts | 2 +-',
      ' 1 file changed, 1 insertion(+), 1 deletion(-)',
      '',
      'diff --git a/src/api.ts b/src/api.ts',
      'index 1111111..2222222 100644',
      '--- a/src/api.ts',
      '+++ b/src/api.ts',
      '@@ -1 +1 @@',
      '-export const old = 1;',
      '+export const young = 1;',
      '-- ',
      '2.45.0',
    ));
    assert.equal(files.length, 1);
    assert.equal(files[0]?.path, 'src/api.ts');
    assert.deepEqual(files[0]?.removed, [{ line: 1, text: 'export const old = 1;' }]);
  });

  it('reads plain diff -u output and CRLF line endings', () => {
    const files = parseUnifiedDiff([
      '--- config.ini\t2024-01-01 10:00:00.000000000 +0000',
      '+++ config.ini\t2024-01-02 10:00:00.000000000 +0000',
      '@@ -1 +1 @@',
      '-a=1',
      '+a=2',
      '',
    ].join('\r\n'));
    assert.deepEqual(files.map((f) => [f.path, f.status, f.added[0]?.text]), [['config.ini', 'modified', 'a=2']]);
  });

  it('marks files that are symlinks after the change (git mode 120000); their added line is the target', () => {
    const files = parseUnifiedDiff(lines(
      'diff --git a/new-link b/new-link',
      'new file mode 120000',
      'index 0000000..1111111',
      '--- /dev/null',
      '+++ b/new-link',
      '@@ -0,0 +1 @@',
      '+/etc/passwd',
      '\\ No newline at end of file',
      'diff --git a/retargeted b/retargeted',
      'index 1111111..2222222 120000',
      '--- a/retargeted',
      '+++ b/retargeted',
      '@@ -1 +1 @@',
      '-old',
      '\\ No newline at end of file',
      '+../../new',
      '\\ No newline at end of file',
      'diff --git a/became-link b/became-link',
      'old mode 100644',
      'new mode 120000',
      'diff --git a/gone-link b/gone-link',
      'deleted file mode 120000',
      'index 1111111..0000000',
      '--- a/gone-link',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-target',
      '\\ No newline at end of file',
      'diff --git a/script.sh b/script.sh',
      'old mode 120000',
      'new mode 100755',
    ));
    assert.deepEqual(files.map((f) => [f.path, f.symlink ?? false]), [
      ['new-link', true], ['retargeted', true], ['became-link', true], ['gone-link', false], ['script.sh', false],
    ]);
    assert.deepEqual(files[1]?.added, [{ line: 1, text: '../../new' }]);
    assert.equal('symlink' in (files[3] ?? {}), false, 'the key is absent, not false, for other files');
  });

  it('returns nothing for text without a diff', () => {
    assert.deepEqual(parseUnifiedDiff(''), []);
    assert.deepEqual(parseUnifiedDiff('just a commit message\n---\n'), []);
  });
});
