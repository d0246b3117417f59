// How deeply a JSON text nests objects and arrays, checked on the raw bytes before JSON.parse: a
// body of a few MiB can nest millions of levels, which the parser takes seconds and hundreds of MiB
// to build, while the contract's body is one flat object.

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** The deepest nesting a request body may have. */
export const MAX_JSON_DEPTH = 32;

/** Whether `text` (UTF-8 JSON) opens more than `maxDepth` objects and arrays inside each other. */
export function nestsDeeperThan(text: Uint8Array, maxDepth: number): boolean {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  // Fast path, native searches: with no more brackets than the limit, nothing can nest deeper.
  let opens = 0;
  for (const bracket of [OPEN_OBJECT, OPEN_ARRAY]) {
    for (let at = bytes.indexOf(bracket); at !== -1 && opens <= maxDepth; at = bytes.indexOf(bracket, at + 1)) opens += 1;
  }
  if (opens <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}

/** Whether `text` (UTF-8) starts, after white space and a byte order mark, with an object or array. */
export function opensObjectOrArray(text: Uint8Array): boolean {
  let i = text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  // JSON's white space: space, tab, line feed, carriage return.
  while (i < text.length && (text[i] === 0x20 || text[i] === 0x09 || text[i] === 0x0a || text[i] === 0x0d)) i += 1;
  return text[i] === OPEN_OBJECT || text[i] === OPEN_ARRAY;
}
