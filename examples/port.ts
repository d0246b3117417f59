// The port a command listens on, from the PORT environment variable: decimal digits only (white space
// around them ignored), 0 to 65535,
// where 0 asks for any free port (the command prints the one it got); unset or empty, its default.
// Number() took " " as 0, 0x4790 as 18320 and 1e4 as 10000: a port the person never chose.

import { quote } from '../core/quote';

/** The port PORT names, or `fallback` when it is unset or empty; a TypeError for anything else. */
export function portFromEnv(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  // White space around the digits is an env file's (a trailing space, CRLF line ends), not a choice.
  const digits = text.trim();
  const port = /^[0-9]{1,5}$/.test(digits) ? Number(digits) : Number.NaN;
  if (!(port <= 65535)) throw new TypeError(`PORT must be a port number (decimal digits, 0 to 65535; 0 for any free port), not ${quote(text, 20)}.`);
  return port;
}
