// Finds an image inside an error: its bytes or a run of its base64, anywhere among the error's own
// properties (enumerable or not: message, stack, cause) and theirs, Buffers included; and how much
// of a value a message echoes.

/** How long a run of the image (bytes, or characters of its base64) counts as the image. */
const RUN = 12;

function windows(text: string): Set<string> {
  const runs = new Set<string>();
  for (let i = 0; i + RUN <= text.length; i += 1) runs.add(text.slice(i, i + RUN));
  return runs;
}

function holdsRun(text: string, runs: Set<string>): boolean {
  for (let i = 0; i + RUN <= text.length; i += 1) if (runs.has(text.slice(i, i + RUN))) return true;
  return false;
}

/**
 * The paths (such as `cause.body`) under `value` that hold `image`'s bytes or any run of 12
 * characters of its base64 (or base64url); empty when there is none.
 */
export function imageTraces(value: unknown, image: Buffer): string[] {
  const base64 = windows(image.toString('base64'));
  const base64url = windows(image.toString('base64url'));
  const bytes = windows(image.toString('latin1'));
  const found: string[] = [];
  const seen = new Set<object>();
  const text = (path: string, s: string): void => {
    if (holdsRun(s, base64) || holdsRun(s, base64url)) found.push(path);
  };
  const walk = (path: string, node: unknown): void => {
    if (typeof node === 'string') {
      text(path, node);
      return;
    }
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (ArrayBuffer.isView(node)) {
      const buffer = Buffer.from(node.buffer, node.byteOffset, node.byteLength);
      if (holdsRun(buffer.toString('latin1'), bytes)) found.push(path);
      else text(path, buffer.toString('latin1'));
      return;
    }
    for (const key of Object.getOwnPropertyNames(node)) {
      const descriptor = Object.getOwnPropertyDescriptor(node, key);
      if (descriptor !== undefined && 'value' in descriptor) walk(path === '' ? key : `${path}.${key}`, descriptor.value);
    }
  };
  walk('', value);
  return found;
}

/** The length of the longest run of `value` that `text` holds (how much of a value a message echoes). */
export function longestEcho(text: string, value: string): number {
  let best = 0;
  for (let i = 0; i + best < value.length; i += 1) {
    while (i + best < value.length && text.includes(value.slice(i, i + best + 1))) best += 1;
  }
  return best;
}
