// How a message quotes a value the caller gave (a label, a path, an option, a field name): cut short,
// since such a value can be a whole data: URI or a pasted base64 selfie.

/** The longest value a message quotes whole, unless the caller of quote() says otherwise. */
const QUOTED_MAX = 100;

/** A value quoted for a message, cut to `max` characters with an ellipsis. */
export function quote(value: string, max = QUOTED_MAX): string {
  return `"${value.length > max ? `${value.slice(0, max)}...` : value}"`;
}
