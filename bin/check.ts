// `facelive check <file|url|->`: runs one image through the engine and prints the contract's JSON.
// Exit 0 for a processed verdict (PASS or FAIL_ON_n), 2 for a 4xx code or a usage error, 1 for an internal error.

import { createReadStream, promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, FaceliveError, toFaceliveError, type CheckOptions } from '../core';
import { sniffFormat } from '../core/image/decode';
import { isUrlImage } from '../core/image/source';
import { maxEncodedImageBytes } from '../core/limits';
import { quote } from '../core/quote';
import { isLivenessThreshold } from '../core/thresholds';
import { parseArgsMessage } from './args';

export const CHECK_USAGE = `Usage: facelive check <file|url|-> [options]

  <file>   a JPEG, PNG or WebP file; <url> an http(s) URL; - reads the image from standard input
           (the file's bytes, or its base64 or data URI as text)

Options:
  --no-quality            skip quality (is_quality=false)
  --no-attribute          skip attributes (is_attribute=false)
  --no-liveness           skip liveness (is_liveness=false)
  --validate-quality      fail on blur, dark or grayscale
  --validate-attribute    fail on sunglasses or mask
  --validate-liveness     fail when the face is judged a spoof
  --validate-nface        fail when more than one face is found
  --pack DIR              use another model pack
  --liveness-threshold T  liveness threshold in [0,1] over the pack's (your cameras' calibrated one)
  --allow-private-network fetch a <url> on a loopback, private or link-local address too
                          (limits.allowPrivateNetwork; refused by default)
  --compact               print the JSON on one line
  -h, --help              show this help

Prints {message, error_code, data} (or {message, error_code} for an error) on standard output.
Exit status: 0 verdict (PASS or FAIL_ON_n), 2 request error (4xx code) or usage error (an unknown
option, no image argument, a bad --pack or --liveness-threshold value), 1 internal error.
`;

/** The exit status of a usage error, as the other commands'. */
const USAGE_ERROR = 2;

export interface CheckIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * The longest argument taken: onnxruntime-node crashes the process (SIGSEGV) when it creates a
 * session while any command-line argument is about 32 KB or longer, so longer ones are refused
 * before a model loads. An image goes in a file, a URL or standard input, never the command line.
 */
export const MAX_ARGUMENT_LENGTH = 4096;

function tooLarge(maxBytes: number): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', `The image is larger than ${maxBytes} bytes.`);
}

/** A stream's bytes, stopping (and refusing) once there are more than `maxBytes`. */
async function readCapped(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += bytes.length;
    if (total > maxBytes) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw tooLarge(maxBytes);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** Whether every byte is printable ASCII or white space, as base64 and data URIs are. */
function isText(bytes: Buffer): boolean {
  for (const b of bytes) if (!((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return false;
  return true;
}

/**
 * Standard input: an image file's bytes, or text (base64, a data URI) the engine reads as a string,
 * as it reads an image field. Anything else goes on as bytes, for the engine to refuse by its format.
 */
async function readStdin(stdin: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | string> {
  // As text (base64 or a data URI), as much as the service's JSON body cap allows.
  const bytes = await readCapped(stdin, Math.max(maxBytes, maxEncodedImageBytes(maxBytes)));
  // A UTF-8 byte order mark (Windows editors and PowerShell write one) is not part of the text.
  const text = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (sniffFormat(bytes) === null && isText(text)) return text.toString('latin1').trim();
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

async function readImage(arg: string, io: CheckIo, maxBytes: number): Promise<Buffer | string> {
  if (arg === '-') return readStdin(io.stdin, maxBytes);
  if (isUrlImage(arg)) return arg.trim();
  // The argument is named in the message only when it looks like a file name, never like image data.
  const named = arg.length <= 200 && !/^data:/i.test(arg.trim()) ? ` ${arg}` : '';
  const unreadable = (): FaceliveError => new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', `Cannot read the image file${named}.`);
  const stat = await fs.stat(arg).catch(() => null);
  if (stat === null || stat.isDirectory()) throw unreadable();
  if (stat.isFile() && stat.size > maxBytes) throw tooLarge(maxBytes);
  try {
    return await readCapped(createReadStream(arg), maxBytes);
  } catch (err) {
    throw err instanceof FaceliveError ? err : unreadable();
  }
}

export async function runCheck(argv: readonly string[], io: CheckIo = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'no-quality': { type: 'boolean', default: false },
        'no-attribute': { type: 'boolean', default: false },
        'no-liveness': { type: 'boolean', default: false },
        'validate-quality': { type: 'boolean', default: false },
        'validate-attribute': { type: 'boolean', default: false },
        'validate-liveness': { type: 'boolean', default: false },
        'validate-nface': { type: 'boolean', default: false },
        pack: { type: 'string' },
        'liveness-threshold': { type: 'string' },
        'allow-private-network': { type: 'boolean', default: false },
        compact: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr.write(`${parseArgsMessage(err)}\n\n${CHECK_USAGE}`);
    return USAGE_ERROR;
  }
  const { values, positionals } = parsed;
  const long = argv.find((arg) => arg.length > MAX_ARGUMENT_LENGTH);
  if (long !== undefined) {
    io.stderr.write(`An argument is ${long.length} characters long (at most ${MAX_ARGUMENT_LENGTH}): give the image as a file, an http(s) URL, or - with the image on standard input.\n\n${CHECK_USAGE}`);
    return USAGE_ERROR;
  }
  if (values.help) {
    io.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`Expected one image argument but received ${positionals.length}.\n\n${CHECK_USAGE}`);
    return USAGE_ERROR;
  }
  if (values.pack !== undefined && values.pack.trim() === '') {
    io.stderr.write(`Expected a directory for --pack but received an empty string.\n\n${CHECK_USAGE}`);
    return USAGE_ERROR;
  }
  const thresholdText = values['liveness-threshold'];
  const threshold = thresholdText === undefined ? undefined : thresholdText.trim() === '' ? NaN : Number(thresholdText);
  if (threshold !== undefined && !isLivenessThreshold(threshold)) {
    io.stderr.write(`Expected a number in [0,1] for --liveness-threshold but received ${quote(thresholdText ?? '')}.\n\n${CHECK_USAGE}`);
    return USAGE_ERROR;
  }
  const options: CheckOptions = {
    is_quality: !values['no-quality'],
    is_attribute: !values['no-attribute'],
    is_liveness: !values['no-liveness'],
    validate_quality: values['validate-quality'],
    validate_attribute: values['validate-attribute'],
    validate_liveness: values['validate-liveness'],
    validate_nface: values['validate-nface'],
  };
  const print = (value: unknown): void => {
    io.stdout.write(`${values.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
  };
  let engine;
  try {
    engine = await createEngine({
      // One image, then the process exits: a warm-up would only delay its answer.
      warmUp: false,
      ...(values.pack !== undefined ? { pack: values.pack } : {}),
      ...(threshold === undefined ? {} : { thresholds: { liveness: threshold } }),
      ...(values['allow-private-network'] ? { limits: { allowPrivateNetwork: true } } : {}),
    });
  } catch (err) {
    io.stderr.write(`facelive: cannot load the model pack: ${(err as Error).message}\n`);
    print(new FaceliveError('INTERNAL_SERVER_ERROR').toJSON());
    return 1;
  }
  try {
    const image = await readImage(positionals[0]!, io, engine.limits.maxImageBytes);
    print(await engine.check(image, options));
    return 0;
  } catch (err) {
    const error = toFaceliveError(err);
    print(error.toJSON());
    return error.status < 500 ? 2 : 1;
  } finally {
    await engine.dispose();
  }
}
