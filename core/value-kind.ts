// What a value is, named for an error message: a number or boolean as written, a string quoted as a
// string (so "true" never reads as true), "null", or its kind ("an array", "an object", ...).

import { quote } from './quote';

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
