// Builds the contract request body a node hands to the engine (checkRequestBody in engine-ref.ts), from the message's
// image property, the node's form options and per-message overrides (msg.options).

import { FaceliveError } from '../../core/errors';
import { OPTION_NAMES, refuseMisspeltFlags, type CheckOptions } from '../../core/options';
import { isLivenessThreshold } from '../../core/thresholds';

export type FlagOverrides = Partial<Record<keyof CheckOptions, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/**
 * Whether a value is a Uint8Array of any realm: one a function node makes (`new Uint8Array(...)`)
 * comes from the node's vm context, and `instanceof Uint8Array` is false for it.
 */
function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/** Keeps only the contract's flag names from msg.options; anything but an object is INVALID_PAYLOAD. */
export function readOverrides(options: unknown): FlagOverrides {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options)) {
    throw new FaceliveError('INVALID_PAYLOAD', 'Expected msg.options to be an object of contract flags.');
  }
  // A flag spelt otherwise (validateLiveness), or flags inside an object of it, would be dropped below and leave the validation as the form set it.
  refuseMisspeltFlags(options, 'msg.options');
  const picked: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    if (options[name] !== undefined) picked[name] = options[name];
  }
  return picked;
}

/**
 * msg.livenessThreshold: a liveness threshold in [0,1] for this message's check over the engine
 * node's (a camera fleet's calibrated one); undefined when the message has none.
 */
export function readLivenessThreshold(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isLivenessThreshold(value)) throw new FaceliveError('INVALID_PAYLOAD', 'Expected msg.livenessThreshold to be a number in [0,1].');
  return value;
}

/**
 * Whether `req` (the `msg.req` of an http in node) came without a body: no bytes declared and none
 * streamed. Node-RED's http in node then delivers `{}`, which the contract calls a missing body.
 */
export function arrivedWithoutBody(req: unknown): boolean {
  const headers = (req as { headers?: Record<string, unknown> } | null | undefined)?.headers;
  if (headers === null || typeof headers !== 'object') return false;
  const length = headers['content-length'];
  return length === '0' || (length === undefined && headers['transfer-encoding'] === undefined);
}

/**
 * The body's flags over the form's, except that a body (sent by whoever calls an http in flow)
 * cannot switch off a validation the form switches on: a caller must not make a spoof PASS by
 * sending validate_liveness false. It may switch validations on, and any is_* flag: switching off
 * the section a kept validation needs then gets the contract's dependency error.
 */
function bodyOverForm(form: FlagOverrides, body: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...form, ...body };
  for (const name of OPTION_NAMES) {
    if (name.startsWith('validate_') && form[name] === true && body[name] === false) merged[name] = true;
  }
  return merged;
}

/**
 * The request body for one message. `value` is the image property's value: a Buffer, a string
 * (base64, data URI or http(s) URL), or a whole contract body `{ image, ...flags }` as an http in
 * node delivers it. Precedence: form < body flags (which turn no validation of the form off) <
 * overrides (msg.options, set by the flow). Types and presence are left to the engine, so its
 * errors keep the contract's order: an http request that came without a body is passed on as no
 * body, and a JSON array as the body it is (both INVALID_PAYLOAD, as over the middleware).
 */
export function buildRequest(value: unknown, form: FlagOverrides, overrides: FlagOverrides, req?: unknown): unknown {
  // No body: Node-RED's http in gives {} for a JSON request without one and '' for one without a Content-Type.
  if (((isPlainObject(value) && Object.keys(value).length === 0) || value === '') && arrivedWithoutBody(req)) return undefined;
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) return { ...bodyOverForm(form, value), ...overrides };
  const image = isUint8Array(value) && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
  return { ...form, ...overrides, image };
}
