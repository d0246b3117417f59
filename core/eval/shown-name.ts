// A name taken from a file name (a source), as the text report prints it: a file name may hold a
// line break, an escape sequence or a bidirectional override, which would break the table's lines
// or be obeyed by the terminal. Those characters are shown as escapes; --json and --scores carry
// the name as it is.

/** C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidirectional overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `name` with each control character as an escape: \n, \r, \t, else \xHH or \uHHHH. */
export function shownName(name: string): string {
  return name.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}
