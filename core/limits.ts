// Input limits shared by every adapter: image bytes, pixels, URL budget. Defaults follow the contract.

import { describeValue } from './value-kind';

export interface Limits {
  /** Largest image accepted, in bytes (decoded base64, Buffer, or URL body). Defaults to 5 MiB. */
  readonly maxImageBytes: number;
  /** Largest image accepted, in pixels (width x height). Defaults to 40 megapixels. */
  readonly maxPixels: number;
  /** Total budget for fetching a URL image: DNS, redirects and body. Defaults to 15000 ms. */
  readonly urlTimeoutMs: number;
  /** Redirects followed when fetching a URL image. Defaults to 3. */
  readonly maxRedirects: number;
  /** Allow URL images on private, loopback, link-local and other non-public addresses. Defaults to false. */
  readonly allowPrivateNetwork: boolean;
  /** Accept http(s) URLs as images (fetched by the engine); false refuses them without a connection. Defaults to true. */
  readonly allowUrlImages: boolean;
}

/** Limits to set over the defaults, as createEngine() and faceLiveness() take them: a key left out or undefined keeps its default. */
export type LimitOverrides = { readonly [K in keyof Limits]?: Limits[K] | undefined };

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxImageBytes: 5 * 1024 * 1024,
  maxPixels: 40_000_000,
  urlTimeoutMs: 15_000,
  maxRedirects: 3,
  allowPrivateNetwork: false,
  allowUrlImages: true,
});

/**
 * The most text an image of `maxImageBytes` may take as base64 or a data URI: base64 (4/3); 1/16
 * for line breaks (a CRLF after every 64 characters, PEM-style, is `\r\n` in JSON: 4 characters per
 * 64); 64 KiB for the rest (a data URI's prefix, a JSON body's other fields).
 */
export function maxEncodedImageBytes(maxImageBytes: number): number {
  const base64 = Math.ceil(maxImageBytes / 3) * 4;
  return base64 + Math.ceil(base64 / 16) + 64 * 1024;
}

/** The longest a Node.js timer can wait (about 24.8 days): a longer budget would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Limits under 1 would refuse every image (every URL image, for the timeout): 0, or a fraction such
 * as maxPixels 0.5. Every numeric limit counts whole things (bytes, pixels, ms, redirects).
 */
const POSITIVE_LIMITS: readonly string[] = ['maxImageBytes', 'maxPixels', 'urlTimeoutMs'];

/** Merges user limits over the defaults; a bad value is a TypeError naming the key. */
export function resolveLimits(user: LimitOverrides = {}): Limits {
  if (user === null || typeof user !== 'object' || Array.isArray(user)) {
    throw new TypeError(`Expected an object for limits but received ${describeValue(user)}.`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, key)) {
      throw new TypeError(`Unknown limit "${key}"; expected one of ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
    }
    const expected = typeof (DEFAULT_LIMITS as unknown as Record<string, unknown>)[key];
    const positive = POSITIVE_LIMITS.includes(key);
    const wanted = expected !== 'number' ? expected : positive ? 'positive whole number' : 'non-negative whole number';
    if (typeof value !== expected || (typeof value === 'number' && !(Number.isInteger(value) && value >= (positive ? 1 : 0)))) {
      const refusesAll = positive && typeof value === 'number' && value >= 0 && value < 1;
      const why = refusesAll ? `: it would refuse every ${key === 'urlTimeoutMs' ? 'URL image' : 'image'}` : '';
      throw new TypeError(`Expected a ${wanted} for limits.${key} but received ${describeValue(value)}${why}.`);
    }
    if (key === 'urlTimeoutMs' && (value as number) > MAX_TIMER_MS) {
      throw new TypeError(`Expected limits.urlTimeoutMs at most ${MAX_TIMER_MS} but received ${describeValue(value)}.`);
    }
    merged[key] = value;
  }
  return Object.freeze(merged) as unknown as Limits;
}
