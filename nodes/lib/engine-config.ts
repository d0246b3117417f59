// Turns the facelive-engine config node's saved form into createEngine() options.
// A bad value is a TypeError naming the field, so the config node can report it and stop.

import type { EngineOptions, ThresholdOverrides } from '../../core/engine-types';
import type { Limits } from '../../core/limits';
import { ATTRIBUTE_NAMES, type AttributeName } from '../../core/types';
import { describeValue } from '../../core/value-kind';
import type { NodeDef } from './red';

/** Every threshold the form can override, in the form's order. */
export const THRESHOLD_NAMES = [
  'liveness', 'blur', 'dark', 'grayscale', 'exposure', 'backlight', 'face_size', 'framing',
  'sunglasses', 'mask', 'veil', 'hat', 'eyeglasses',
] as const satisfies readonly (keyof ThresholdOverrides)[];

/** The attributes validate_attribute fails on when the form leaves the list as it is. */
export const DEFAULT_VALIDATE_ATTRIBUTES: readonly AttributeName[] = ['sunglasses', 'mask'];

/** What the editor saves for a facelive-engine node; every field but the checkbox is text from an input box or a select. */
export interface EngineConfigDef extends NodeDef {
  /** Model pack directory; empty for the built-in pack. */
  readonly pack?: string;
  /** Comma-separated attribute names that validate_attribute fails on. */
  readonly validateAttributes?: string;
  /** Largest image in MiB; empty for the contract's 5. */
  readonly maxImageMiB?: string;
  /** Largest image in megapixels; empty for 40. */
  readonly maxMegapixels?: string;
  /** URL fetch budget in seconds; empty for 15. */
  readonly urlTimeout?: string;
  /** Allow URL images on private and loopback addresses. */
  readonly allowPrivateNetwork?: boolean;
  /** Accept URL images at all; absent (flows saved before the field) accepts them. */
  readonly allowUrlImages?: boolean;
  /** "true" or "false" for the engine's workerThreads; empty (or absent, in flows saved before the field) for its default. */
  readonly workerThreads?: string;
  /** Threshold overrides: `threshold_<name>`, empty for the pack's value. */
  readonly [threshold: `threshold_${string}`]: string | undefined;
}

/** Reads an optional number from a text field: empty means "not given". */
function optionalNumber(value: unknown, label: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  const number = Number(text);
  if (!Number.isFinite(number) || number < 0) {
    throw new TypeError(`Expected a non-negative number for ${label} but received ${describeValue(value)}.`);
  }
  return number;
}

/** Reads a select of "true", "false" or empty ("not given"); a flows file written by hand may hold a boolean. */
function optionalBoolean(value: unknown, label: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new TypeError(`Expected "true", "false" or nothing for ${label} but received ${describeValue(value)}.`);
}

/** Parses the comma-separated attribute list; an unknown name is a TypeError listing the valid ones. */
export function parseAttributeList(value: unknown, label: string): AttributeName[] | undefined {
  if (value === undefined || value === null) return undefined;
  const names = String(value).split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!(ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
      throw new TypeError(`Unknown attribute "${name}" in ${label}; expected some of ${ATTRIBUTE_NAMES.join(', ')}.`);
    }
  }
  return names as AttributeName[];
}

/** The form -> EngineOptions. Throws a TypeError for a field that is not usable. */
export function engineOptionsFromConfig(def: EngineConfigDef): EngineOptions {
  const thresholds: Record<string, number> = {};
  for (const name of THRESHOLD_NAMES) {
    const value = optionalNumber(def[`threshold_${name}`], `the ${name} threshold`);
    if (value !== undefined) thresholds[name] = value;
  }
  const limits: { -readonly [K in keyof Limits]?: Limits[K] } = {};
  const mib = optionalNumber(def.maxImageMiB, 'the largest image (MiB)');
  if (mib !== undefined) limits.maxImageBytes = Math.round(mib * 1024 * 1024);
  const megapixels = optionalNumber(def.maxMegapixels, 'the largest image (megapixels)');
  if (megapixels !== undefined) limits.maxPixels = Math.round(megapixels * 1_000_000);
  const seconds = optionalNumber(def.urlTimeout, 'the URL timeout (seconds)');
  if (seconds !== undefined) limits.urlTimeoutMs = Math.round(seconds * 1000);
  if (def.allowPrivateNetwork === true) limits.allowPrivateNetwork = true;
  if (def.allowUrlImages === false) limits.allowUrlImages = false;

  const pack = typeof def.pack === 'string' && def.pack.trim() !== '' ? def.pack.trim() : undefined;
  const validateAttributes = parseAttributeList(def.validateAttributes, 'the attributes to validate');
  const workerThreads = optionalBoolean(def.workerThreads, 'worker threads');
  return {
    ...(pack !== undefined ? { pack } : {}),
    ...(Object.keys(thresholds).length > 0 ? { thresholds: thresholds as ThresholdOverrides } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(validateAttributes !== undefined ? { validateAttributes } : {}),
    ...(workerThreads !== undefined ? { workerThreads } : {}),
  };
}
