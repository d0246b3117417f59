// `facelive hash-key`: reads an API key from standard input and prints its SHA-256 in hex, the value of a
// credential's `apiKeySha256`, so that the key is never an argument (shell history, the process list).

import { parseArgs } from 'node:util';
import { headerValueFault } from '../middleware/header-value';
import { keyDigest } from '../middleware/key-digest';
import { parseArgsMessage } from './args';
import { readHiddenLine, type RawModeInput } from './read-hidden-line';

export const HASH_KEY_USAGE = `Usage: facelive hash-key < file-with-the-key

Reads one API key from standard input (one line; its line break, if any, is not part of the key) and
prints its SHA-256 in hex: a credential's apiKeySha256, in place of its apiKey. The same as
  printf %s "$KEY" | sha256sum
The key is never an argument, so it stays out of shell history and the process list; typed at a
terminal, it is not shown (Enter ends it, Ctrl-C abandons it).

  -h, --help  show this help

Exit status: 0 digest printed, 2 usage error (an argument, an empty key, more than one line, or a
key no API-Key header can carry: a space at either end, a control character, a character outside ASCII).
`;

/** The exit status of a usage error, as the other commands'. */
const USAGE_ERROR = 2;

/** Longer than the longest header Node.js receives (16 KiB by default): no request could send it. */
const MAX_KEY_BYTES = 16 * 1024;

/** The exit status after Ctrl-C, as a shell reports a command interrupted by SIGINT. */
const INTERRUPTED = 130;

export interface HashKeyIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; readonly setRawMode?: RawModeInput['setRawMode'] };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Standard input up to its end; undefined once it is longer than any key. */
async function readInput(stdin: HashKeyIo['stdin']): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += bytes.length;
    if (total > MAX_KEY_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** The terminal's raw-mode switch, where standard input is a terminal that has one. */
function rawModeInput(stdin: HashKeyIo['stdin']): RawModeInput | undefined {
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') return undefined;
  return stdin as RawModeInput;
}

/** Why `input` is not one usable key, or the key. */
function keyOf(input: Buffer | undefined): { key: string } | { fault: string } {
  if (input === undefined) return { fault: `the key is longer than ${MAX_KEY_BYTES} bytes, more than a request header carries` };
  // A UTF-8 byte order mark (Windows editors and PowerShell write one) is not part of the key.
  const bytes = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
  const key = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (key.length === 0) return { fault: 'standard input holds no key' };
  if (/[\r\n]/.test(key)) return { fault: 'standard input holds more than one line; give one key' };
  const fault = headerValueFault(key);
  if (fault !== undefined) return { fault: `the key can never match an API-Key header: ${fault}` };
  return { key };
}

export async function runHashKey(argv: readonly string[], io: HashKeyIo = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    io.stderr.write(`facelive: ${parseArgsMessage(err)}\n\n${HASH_KEY_USAGE}`);
    return USAGE_ERROR;
  }
  if (parsed.values.help) {
    io.stdout.write(HASH_KEY_USAGE);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    // The argument may well be the key itself: said by its length only.
    io.stderr.write(`facelive hash-key: takes no arguments (received ${parsed.positionals.length}; the key goes on standard input).\n\n${HASH_KEY_USAGE}`);
    return USAGE_ERROR;
  }
  let input: Buffer | undefined;
  const terminal = rawModeInput(io.stdin);
  if (terminal !== undefined) {
    const line = await readHiddenLine(terminal, MAX_KEY_BYTES, () =>
      io.stderr.write('facelive hash-key: type the key and press Enter (it is not shown): '),
    );
    io.stderr.write('\n');
    if (line.kind === 'interrupted') return INTERRUPTED;
    input = line.kind === 'line' ? line.bytes : undefined;
  } else {
    input = await readInput(io.stdin);
  }
  const result = keyOf(input);
  if ('fault' in result) {
    io.stderr.write(`facelive hash-key: ${result.fault}.\n\n${HASH_KEY_USAGE}`);
    return USAGE_ERROR;
  }
  io.stdout.write(`${keyDigest(result.key).toString('hex')}\n`);
  return 0;
}
