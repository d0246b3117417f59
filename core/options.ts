// Request options: defaults, type checks and the *_VALIDATION_DEPENDENCY rules (contract order).

import { FaceliveError } from './errors';
import { quote } from './quote';

/** The contract's request flags. */
export interface CheckOptions {
  /** Compute blur, dark, grayscale and the extension measures. Defaults to true. */
  readonly is_quality: boolean;
  /** Detect sunglasses, mask, veil, hat. Defaults to true. */
  readonly is_attribute: boolean;
  /** Compute liveness. Defaults to true. */
  readonly is_liveness: boolean;
  /** Fail when a quality measure exceeds its threshold. Needs is_quality. Defaults to false. */
  readonly validate_quality: boolean;
  /** Fail when a validated attribute is detected. Needs is_attribute. Defaults to false. */
  readonly validate_attribute: boolean;
  /** Fail when the face is judged a spoof. Needs is_liveness. Defaults to false. */
  readonly validate_liveness: boolean;
  /** Fail when more than one face is found. Defaults to false. */
  readonly validate_nface: boolean;
}

/** The flags check() takes: each one left out or undefined takes its default (DEFAULT_OPTIONS). */
export type CheckFlags = { readonly [K in keyof CheckOptions]?: CheckOptions[K] | undefined };

export const DEFAULT_OPTIONS: CheckOptions = Object.freeze({
  is_quality: true,
  is_attribute: true,
  is_liveness: true,
  validate_quality: false,
  validate_attribute: false,
  validate_liveness: false,
  validate_nface: false,
});

export const OPTION_NAMES: readonly (keyof CheckOptions)[] = Object.freeze(Object.keys(DEFAULT_OPTIONS) as (keyof CheckOptions)[]);

function invalidField(name: string, expected: string, actual: unknown): FaceliveError {
  const type = actual === null ? 'null' : typeof actual;
  return new FaceliveError('INVALID_PAYLOAD', `Expected ${expected} for ${name} but received a value of type ${type}.`);
}

/** The longest field name a message quotes whole: a flag's name is at most 18 characters. */
const QUOTED_NAME_MAX = 40;

/** A name's letters, lower case: what a flag spelt in another case or spelling keeps (validateLiveness, Validate-Liveness). */
function lettersOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

/**
 * Each flag by its letters, computed once: a body of hundreds of thousands of keys looks each key up
 * once instead of comparing it with every flag (which recomputed the flags' letters for every key).
 */
export const FLAG_BY_LETTERS: ReadonlyMap<string, keyof CheckOptions> = new Map(OPTION_NAMES.map((flag) => [lettersOf(flag), flag]));

/** The flag a key names or was meant to name (spelt otherwise), if any: one lookup of its letters. */
export function flagNamed(key: string): keyof CheckOptions | undefined {
  return FLAG_BY_LETTERS.get(lettersOf(key));
}

/** The flag a field that is not one was meant to be: the same letters in another case or spelling. */
function flagMeant(name: string): keyof CheckOptions | undefined {
  const flag = flagNamed(name);
  return flag !== name ? flag : undefined;
}

/** The first key of an object that names a flag or was meant to, if any. */
function firstFlagAmong(keys: readonly string[]): keyof CheckOptions | undefined {
  for (const key of keys) {
    const flag = flagNamed(key);
    if (flag !== undefined) return flag;
  }
  return undefined;
}

/**
 * Refuses a field of a request body that is a flag's name spelt otherwise (validateLiveness), or an
 * object holding flags ({"options": {"validate_nface": true}}, as check()'s second argument would):
 * read as an unknown field, it would leave those flags at their defaults, and a validation the
 * caller asked for would silently not run. Other unknown fields are left alone, as the contract's
 * clients may send them. `holder` names, for the error's sentence, the object the flags came from
 * when it is not the request body (msg.options in Node-RED).
 */
export function refuseMisspeltFlags(record: Record<string, unknown>, holder?: string): void {
  const where = holder === undefined ? '' : ` in ${holder}`;
  // Object.keys, not Object.entries: building an entry per key took 1-1.5 s of a body of 600k keys.
  for (const key of Object.keys(record)) {
    const value = record[key];
    const flag = flagNamed(key);
    if (flag !== undefined && flag !== key) throw new FaceliveError('INVALID_PAYLOAD', `Unknown field ${quote(key, QUOTED_NAME_MAX)}${where}; the flag is named ${flag}.`);
    if (flag !== undefined || value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) continue;
    const nested = firstFlagAmong(Object.keys(value));
    if (nested !== undefined) {
      throw new FaceliveError('INVALID_PAYLOAD', `Field ${quote(key, QUOTED_NAME_MAX)}${where} holds the flag ${nested}; send the flags as fields of ${holder ?? 'the body'} itself.`);
    }
  }
}

/**
 * Refuses any key of check()'s options that is not a flag: the options object holds flags only,
 * so an unknown key is a mistake (a misspelt validate_liveness would leave liveness unvalidated).
 */
export function refuseUnknownOptions(options: unknown): void {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) return; // parseOptions says what is wrong
  for (const key of Object.keys(options)) {
    if ((OPTION_NAMES as readonly string[]).includes(key)) continue;
    const meant = flagMeant(key);
    throw new FaceliveError('INVALID_PAYLOAD', `Unknown check option ${quote(key, QUOTED_NAME_MAX)}; ${meant !== undefined ? `the flag is named ${meant}` : `expected some of ${OPTION_NAMES.join(', ')}`}.`);
  }
}

/**
 * Reads the flags from a request-like object. A missing (or undefined) field keeps its default;
 * a present one must be a boolean. Unknown fields are ignored. Applies the dependency rules.
 */
export function parseOptions(input: unknown, { dependencies = true } = {}): CheckOptions {
  if (input === undefined || input === null) return DEFAULT_OPTIONS;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new FaceliveError('INVALID_PAYLOAD', 'Expected the options to be an object.');
  }
  const source = input as Record<string, unknown>;
  const parsed: Record<string, boolean> = { ...DEFAULT_OPTIONS };
  for (const name of OPTION_NAMES) {
    const value = source[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidField(name, 'a boolean', value);
    parsed[name] = value;
  }
  const options = parsed as unknown as CheckOptions;
  return dependencies ? checkDependencies(options) : options;
}

/** The dependency rules, in the contract's order: each validation, the section it needs on, and the code of a request that breaks it. */
export const VALIDATION_DEPENDENCIES = Object.freeze([
  ['validate_quality', 'is_quality', 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY'],
  ['validate_attribute', 'is_attribute', 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY'],
  ['validate_liveness', 'is_liveness', 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY'],
] as const);

/** The dependency rules, in the contract's order (quality, attribute, liveness). */
export function checkDependencies(options: CheckOptions): CheckOptions {
  for (const [validation, section, code] of VALIDATION_DEPENDENCIES) {
    if (options[validation] && !options[section]) throw new FaceliveError(code);
  }
  return options;
}

/**
 * Splits a contract body `{ image, ...flags }` into the image and the flags, checking the body's
 * shape, the field types and the image's presence (INVALID_PAYLOAD, MISSING_PAYLOAD_IMAGE). The
 * dependency rules come later (after the image's own check), as the contract orders them.
 */
export function parseRequestBody(body: unknown): { image: string | Buffer; flags: Record<string, unknown> } {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new FaceliveError('INVALID_PAYLOAD', 'Expected the request body to be a JSON object.');
  }
  const record = body as Record<string, unknown>;
  for (const name of OPTION_NAMES) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'boolean') throw invalidField(name, 'a boolean', value);
  }
  refuseMisspeltFlags(record);
  // A null image is a missing one (serialisers write an unset field as null), as engine.check(null) says.
  if (record.image !== undefined && record.image !== null && typeof record.image !== 'string' && !Buffer.isBuffer(record.image)) {
    throw invalidField('image', 'a string', record.image);
  }
  if (!('image' in record) || record.image === undefined || record.image === null) {
    throw new FaceliveError('MISSING_PAYLOAD_IMAGE');
  }
  return { image: record.image as string | Buffer, flags: record };
}
