// Image input -> bytes: base64, data URI, http(s) URL or Buffer; enforces the byte cap.
// Never logs or keeps the image: errors carry codes and sentences only.

import { FaceliveError } from '../errors';
import type { Limits } from '../limits';
import { fetchImageUrl } from './fetch-url';

/** What callers may pass as an image. */
export type ImageInput = string | Buffer | Uint8Array;

/** The image after its synchronous check: bytes in hand, base64 text still to decode, or a URL to fetch. */
export type ClassifiedImage =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'base64'; readonly text: string; readonly mediaType: string | null }
  | { readonly kind: 'url'; readonly url: URL };

const DATA_URI = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,/i;
const BASE64_BODY = /^[A-Za-z0-9+/_-]+={0,2}$/; // at least one data character: padding alone is empty

const HTTP_URL = /^https?:\/\//i;

/** Whether an image field names an http(s) URL (to be fetched), as classifyImage reads it. */
export function isUrlImage(image: unknown): boolean {
  return typeof image === 'string' && HTTP_URL.test(image.trim());
}

function checkBase64(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !BASE64_BODY.test(compact)) {
    throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'The image is neither valid base64 nor an http(s) URL.');
  }
  return compact;
}

function tooLarge(limits: Limits): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', `The image is larger than ${limits.maxImageBytes} bytes.`);
}

/**
 * Checks the image field without any I/O, for INVALID_PAYLOAD (wrong type) and
 * INVALID_PAYLOAD_IMAGE_MISSING (empty, malformed base64, not an http(s) URL). Size and format
 * come later (loadImageBytes), after the dependency rules, as the contract orders the codes.
 */
export function classifyImage(input: unknown): ClassifiedImage {
  if (Buffer.isBuffer(input) || input instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length === 0) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'The image is empty.');
    return { kind: 'bytes', bytes };
  }
  if (typeof input !== 'string') {
    throw new FaceliveError('INVALID_PAYLOAD', 'Expected a string or a Buffer for image.');
  }
  const text = input.trim();
  if (text.length === 0) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'The image is empty.');
  if (HTTP_URL.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'The image URL is not a valid http(s) URL.');
    }
    return { kind: 'url', url };
  }
  if (/^data:/i.test(text)) {
    const match = DATA_URI.exec(text);
    if (!match || !match[3]) {
      throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'The image data URI is not a base64 data URI.');
    }
    return { kind: 'base64', text: checkBase64(text.slice(match[0].length)), mediaType: match[1]?.toLowerCase() ?? null };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'Only http and https image URLs are accepted.');
  }
  return { kind: 'base64', text: checkBase64(text), mediaType: null };
}

/**
 * The image's bytes under the limits: INVALID_PAYLOAD_IMAGE_SIZE past the byte cap,
 * INVALID_PAYLOAD_IMAGE_FORMAT for a data URI that is not an image or a URL where `allowUrlImages` is
 * false (refused as a URL on a non-public address is); URLs are fetched (until `signal` aborts).
 */
export async function loadImageBytes(image: ClassifiedImage, limits: Limits, signal?: AbortSignal): Promise<Buffer> {
  switch (image.kind) {
    case 'bytes':
      if (image.bytes.length > limits.maxImageBytes) throw tooLarge(limits);
      return image.bytes;
    case 'base64': {
      if (Math.floor((image.text.length * 3) / 4) - 2 > limits.maxImageBytes) throw tooLarge(limits);
      if (image.mediaType !== null && !image.mediaType.startsWith('image/')) {
        // The type is the client's text, and the message is logged: at most 64 characters of it.
        const shown = image.mediaType.length > 64 ? `${image.mediaType.slice(0, 64)}...` : image.mediaType;
        throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', `A data URI of type ${shown} is not an image.`);
      }
      const urlSafe = image.text.includes('-') || image.text.includes('_');
      const bytes = Buffer.from(image.text, urlSafe ? 'base64url' : 'base64');
      if (bytes.length > limits.maxImageBytes) throw tooLarge(limits);
      return bytes;
    }
    case 'url':
      if (!limits.allowUrlImages) {
        throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', 'This service does not accept image URLs: send the image itself (base64, a data URI or a file upload).');
      }
      return fetchImageUrl(image.url, limits, { signal });
  }
}
