// Where a JSON text stops being JSON, found without quoting it: the service's config file may hold
// secrets, and JSON.parse's message quotes the text around the fault (and on Node 20 gives no
// position for an unexpected token).

/**
 * The offset of the first character of `text` that is not valid JSON (text.length when it ends too
 * soon), or undefined when none is found. JSON.parse's message would do, but V8 quotes the text
 * around the fault, and in a config file that is often an unquoted apiKey or redisUrl password.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1;
  };
  const word = (expected: string): boolean => {
    for (const char of expected) {
      if (text[i] !== char) return false;
      i += 1;
    }
    return true;
  };
  const string = (): boolean => {
    i += 1; // the opening quote
    while (i < text.length) {
      const char = text[i];
      if (char === '"') {
        i += 1;
        return true;
      }
      if (char < ' ') return false;
      if (char === '\\') {
        i += 1;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) return false;
      }
      i += 1;
    }
    return false;
  };
  const number = (): boolean => {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = i;
    const found = match.exec(text);
    if (found === null) return false;
    i += found[0].length;
    return true;
  };
  const members = (close: string, member: () => boolean): boolean => {
    i += 1; // the opening bracket
    space();
    if (text[i] === close) {
      i += 1;
      return true;
    }
    for (;;) {
      space();
      if (!member()) return false;
      space();
      if (text[i] === close) {
        i += 1;
        return true;
      }
      if (text[i] !== ',') return false;
      i += 1;
    }
  };
  const property = (): boolean => {
    if (text[i] !== '"' || !string()) return false;
    space();
    if (text[i] !== ':') return false;
    i += 1;
    return value();
  };
  const value = (): boolean => {
    space();
    const char = text[i];
    if (char === '{') return members('}', property);
    if (char === '[') return members(']', value);
    if (char === '"') return string();
    if (char === 't') return word('true');
    if (char === 'f') return word('false');
    if (char === 'n') return word('null');
    return number();
  };
  try {
    if (!value()) return i;
    space();
    return i < text.length ? i : undefined;
  } catch {
    return undefined; // nested too deeply for the stack: no position
  }
}
