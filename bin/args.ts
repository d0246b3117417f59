// What the commands say about an argument they refuse: the caller's text quoted as every message
// quotes a value, at most 100 characters (a mistyped flag can hold a pasted base64 selfie).

import { quote } from '../core/quote';

/**
 * The message of an error of node:util parseArgs. Its own message for an unknown option quotes the
 * option whole, twice; it is rebuilt from the option's name, cut. Its other messages name only
 * options the command has, and any other error keeps its message.
 */
export function parseArgsMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { code?: unknown } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return message;
  const option = /^Unknown option '([\s\S]*?)'(?:\.|$)/.exec(message)?.[1];
  if (option === undefined) return 'Unknown option.';
  return `Unknown option ${quote(option)}. To give a positional argument starting with a '-', place it at the end of the command after '--'.`;
}
