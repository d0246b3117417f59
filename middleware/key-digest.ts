// A credential's key held as its SHA-256 (`apiKeySha256`) rather than in plain text: the digest's
// shape, checked without ever quoting it, and the digest itself.

import { createHash } from 'node:crypto';

/** The SHA-256 of a key's UTF-8 bytes: what `apiKeySha256` holds, as bytes. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Why `value` is not a SHA-256 in hex (64 hex digits, either case), or undefined when it is one. */
export function keyDigestFault(value: unknown): string | undefined {
  if (typeof value !== 'string') return `received ${value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
  // Said apart: both look like 64 hex digits at a glance (a pasted line's break, sha256sum's "  -").
  if (value.trim() !== value) return 'it starts or ends with white space (a line break, a space)';
  if (/^0x/i.test(value)) return 'it starts with 0x; give the hex digits alone';
  if (!/^[0-9a-fA-F]*$/.test(value)) return 'it holds a character that is not a hex digit';
  if (value.length !== 64) return `it has ${value.length} hex digits`;
  return undefined;
}
