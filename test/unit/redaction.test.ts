import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactTokens } from '../../workflows/policy/detectors/secret.js';

describe('redactTokens', () => {
  it('replaces every credential-shaped token in free text, and nothing else', () => {
    const text = 'The diff adds AKIAIOSFODNN7EXAMPLE and ghp_abcdefghijklmnopqrstuvwxyz0123456789 twice: AKIAIOSFODNN7EXAMPLE. Logging user 42 is fine.';
    const redacted = redactTokens(text);
    assert.doesNotMatch(redacted, /AKIAIOSFODNN7EXAMPLE|ghp_/);
    assert.equal((redacted.match(/\[redacted AWS access key id\]/g) ?? []).length, 2);
    assert.match(redacted, /\[redacted GitHub token\]/);
    assert.match(redacted, /Logging user 42 is fine\.$/);
  });

  it('leaves text without tokens unchanged', () => {
    assert.equal(redactTokens('risk 3/10: a migration adds a nullable column'), 'risk 3/10: a migration adds a nullable column');
  });
});
