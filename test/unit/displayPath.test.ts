import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayPath } from '../../workflows/policy/displayPath.js';

describe('displayPath', () => {
  const unchanged = [
    'src/app.ts', 'docs/my notes.md', 'docs/ünïcödé — 文件 🚀.md', "it's.txt", 'back\\slash', 'a/`tick`.md',
    'family-👨‍👩‍👧.txt', // zero-width joiners inside an emoji are ordinary text
  ];
  for (const path of unchanged) {
    it(`leaves ${JSON.stringify(path)} as it is`, () => assert.equal(displayPath(path), path));
  }

  const quoted: [string, string, string][] = [
    ['a newline', 'db/migrations/001_evil\nname.sql', '"db/migrations/001_evil\\nname.sql"'],
    ['a carriage return', 'a\rb', '"a\\rb"'],
    ['a tab', 'tab\there.txt', '"tab\\there.txt"'],
    ['an escape sequence', 'x\u001b[31mred', '"x\\u001b[31mred"'],
    ['a NUL', 'a\u0000b', '"a\\u0000b"'],
    ['DEL and a C1 control', 'a\u007fb\u0085c', '"a\\u007fb\\u0085c"'],
    ['a double quote', 'say "hi".txt', '"say \\"hi\\".txt"'],
    ['a leading double quote', '"quoted"', '"\\"quoted\\""'],
    ['a backslash next to a newline', 'a\\\nb', '"a\\\\\\nb"'],
    ['a line separator', 'a\u2028b', '"a\\u2028b"'],
    ['a paragraph separator', 'a\u2029b', '"a\\u2029b"'],
    ['a right-to-left override (trojan source)', 'src/\u202egnp.ts', '"src/\\u202egnp.ts"'],
    ['a bidi isolate', 'a\u2066b\u2069', '"a\\u2066b\\u2069"'],
    ['a zero-width space', 'pass\u200bwd', '"pass\\u200bwd"'],
    ['a byte order mark', '\ufeffREADME', '"\\ufeffREADME"'],
    ['nothing at all', '', '""'],
  ];
  for (const [name, path, shown] of quoted) {
    it(`quotes a path with ${name}`, () => {
      assert.equal(displayPath(path), shown);
      assert.equal(JSON.parse(displayPath(path)), path, 'the quoted form reads back as the path');
    });
  }

  it('never leaves a line break or a bidi control in its output', () => {
    for (let code = 0; code < 0x3000; code++) {
      const out = displayPath(`a${String.fromCharCode(code)}b`);
      assert.doesNotMatch(out, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, `U+${code.toString(16)}`);
    }
  });
});
