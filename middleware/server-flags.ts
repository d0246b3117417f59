// The middleware's `flags` option: checks the server decides, whatever the request body says. Where
// the body comes from a device (annotate mode behind an app's own route, or a caller the operator does
// not control), the contract lets the caller turn every validation off, and a check that validated
// nothing answers PASS. Flags set here run on every request; a body may leave them out or give the
// same value (a contract client sends every flag), and a body that gives another value is refused
// (INVALID_PAYLOAD), so that no caller believes a check ran as it asked when it did not.

import { FaceliveError } from '../core/errors';
import { OPTION_NAMES, VALIDATION_DEPENDENCIES, type CheckOptions } from '../core/options';
import { describeValue } from '../core/value-kind';

/** The flags the server sets: some of the contract's is_* and validate_* flags. */
export type ServerFlags = { readonly [K in keyof CheckOptions]?: CheckOptions[K] | undefined };

/**
 * Checks the option and completes it: a validation set true sets the section it needs true too (a
 * body could otherwise turn the section off and get a dependency error in place of the check).
 * @throws TypeError naming the bad flag.
 */
export function resolveServerFlags(given: unknown): Readonly<Partial<CheckOptions>> {
  if (given === undefined) return Object.freeze({});
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new TypeError(`Expected an object of the contract's flags for flags but received ${describeValue(given)}.`);
  }
  const flags: Partial<Record<keyof CheckOptions, boolean>> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(OPTION_NAMES as readonly string[]).includes(name)) throw new TypeError(`Unknown flag "${name}" in flags; expected some of ${OPTION_NAMES.join(', ')}.`);
    if (typeof value !== 'boolean') throw new TypeError(`Expected true or false for flags.${name} but received ${describeValue(value)}.`);
    flags[name as keyof CheckOptions] = value;
  }
  for (const [validation, section] of VALIDATION_DEPENDENCIES) {
    if (flags[validation] !== true) continue;
    if (flags[section] === false) throw new TypeError(`flags.${validation} is true while flags.${section} is false: the validation needs its section.`);
    flags[section] = true;
  }
  return Object.freeze(flags);
}

/** The request body with the server's flags in it; INVALID_PAYLOAD where the body gives one of them another value. */
export function withServerFlags(body: unknown, flags: Readonly<Partial<CheckOptions>>): unknown {
  const names = Object.keys(flags) as (keyof CheckOptions)[];
  // Anything but an object is left to the engine, which says what is wrong with it.
  if (names.length === 0 || body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return body;
  const given = body as Record<string, unknown>;
  for (const name of names) {
    const value = Object.prototype.hasOwnProperty.call(given, name) ? given[name] : undefined;
    if (value !== undefined && value !== flags[name]) {
      throw new FaceliveError('INVALID_PAYLOAD', `This service sets ${name} to ${String(flags[name])} for every request: leave it out of the body, or send ${String(flags[name])}.`);
    }
  }
  return { ...given, ...flags };
}
