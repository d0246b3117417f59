// A field of the contract (image or a flag) given twice in one JSON body. JSON.parse keeps the last
// value and drops the first without a word, while other parsers (a gateway's, a log's) keep the
// first: {"validate_liveness": true, "validate_liveness": false} read as "liveness validated" there
// and ran with it off here. RFC 8259 (section 4) leaves such a body's meaning to each parser, so it
// is refused. Names are compared as JSON.parse decodes them ("valid\u0061te_liveness" is
// validate_liveness); fields of a client's own may repeat, as they are ignored anyway.

import { OPTION_NAMES } from '../core/options';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c; // ,
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** The body's fields that decide the check. */
const CONTRACT_FIELDS: ReadonlySet<string> = new Set(['image', ...OPTION_NAMES]);

/** The longest a contract field's name can be as raw JSON: every character as a \uXXXX escape. */
const LONGEST_RAW_NAME = Math.max(...[...CONTRACT_FIELDS].map((name) => name.length)) * 6;

/** The index of the quote that closes the string opening at `start`, or the text's length. */
function stringEnd(bytes: Buffer, start: number): number {
  let at = start + 1;
  for (;;) {
    at = bytes.indexOf(QUOTE, at);
    if (at === -1) return bytes.length;
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    at += 1;
  }
}

/** A raw key's text as JSON.parse decodes it (its \u and other escapes); undefined where that fails. */
function decoded(raw: Buffer): string | undefined {
  if (!raw.includes(BACKSLASH)) return raw.toString('utf8');
  try {
    return JSON.parse(`"${raw.toString('utf8')}"`) as string;
  } catch {
    return undefined; // not valid JSON: the parser says so
  }
}

/** The contract field a raw key (between its quotes) names, if any. */
function contractField(bytes: Buffer, from: number, to: number): string | undefined {
  // No key longer than that can name one: it is not decoded.
  if (to - from > LONGEST_RAW_NAME) return undefined;
  const name = decoded(bytes.subarray(from, to));
  return name !== undefined && CONTRACT_FIELDS.has(name) ? name : undefined;
}

/**
 * The first contract field that a JSON object (UTF-8 bytes) gives more than once at its top level,
 * or undefined. Anything but an object (an array, malformed text) is left to the parser.
 */
export function repeatedField(text: Uint8Array): string | undefined {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      const end = stringEnd(bytes, i);
      if (depth === 1 && expectKey) {
        const name = contractField(bytes, i + 1, end);
        if (name !== undefined) {
          if (seen.has(name)) return name;
          seen.add(name);
        }
        expectKey = false;
      }
      i = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === 0 && byte === OPEN_ARRAY) return undefined;
      depth += 1;
      if (depth === 1) expectKey = true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
      if (depth === 0) return undefined;
    } else if (byte === COMMA && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}

/** The refusal's message for a repeated field. */
export function repeatedFieldMessage(field: string): string {
  return `The request body gives the field ${field} more than once; send each field once.`;
}
