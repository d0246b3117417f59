// The nesting check run on request bodies before JSON.parse: brackets inside strings (escaped quotes
// included) do not count; the fast path and the full scan agree.

import assert from 'node:assert/strict';
import { nestsDeeperThan } from '../../middleware/json-depth';

const deeper = (text: string, max: number): boolean => nestsDeeperThan(Buffer.from(text), max);

describe('JSON nesting depth', () => {
  it('counts objects and arrays inside each other', () => {
    assert.equal(deeper('{"a":[{"b":[1]}]}', 4), false);
    assert.equal(deeper('{"a":[{"b":[1]}]}', 3), true);
    assert.equal(deeper('[[],[],[],[],[]]', 2), false, 'siblings are not nested');
    assert.equal(deeper('[[],[],[],[],[]]', 1), true);
  });

  it('skips brackets inside strings, also after escaped quotes and backslashes', () => {
    assert.equal(deeper('{"s":"[[[[{{{{"}', 1), false);
    assert.equal(deeper('{"s":"\\\\"}', 1), false);
    assert.equal(deeper('{"s":"a\\"[[[[\\"b","t":[[[]]]}', 3), true, 'the array after the string counts');
    assert.equal(deeper('{"s":"a\\"[[[[\\"b","t":[[[]]]}', 4), false);
  });

  it('answers for a million levels without parsing them', () => {
    const text = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    assert.equal(deeper(text, 32), true);
  });
});
