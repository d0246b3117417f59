// Whether a configured App-ID or API-Key can ever arrive in its request header. Header values are
// visible ASCII (spaces allowed between), and clients and servers trim white space at either end, so
// a listed value with a space at an end, a control character (a line break, a tab) or a character
// outside ASCII never matches what a request sends: every request with it would get 401.

/** Why `value` can never be received as an HTTP header value, or undefined when it can. */
export function headerValueFault(value: string): string | undefined {
  if (/^[ \t]|[ \t]$/.test(value)) return 'it starts or ends with white space, which HTTP trims from header values';
  if (/[\x00-\x1f\x7f]/.test(value)) return 'it holds a control character (a line break or a tab, for example), which a header value cannot carry';
  if (/[^\x20-\x7e]/.test(value)) return 'it holds a character outside ASCII, which a header value does not carry as written';
  return undefined;
}
