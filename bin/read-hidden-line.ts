// Reads one line typed at a terminal without showing it (as `read -s` and `ssh-keygen` do): the
// terminal goes to raw mode, so nothing is echoed, and the line is edited here instead.
//
// Enter ends the line; Backspace removes the last character, Ctrl-U the whole line; Ctrl-D ends it
// (an empty line if nothing was typed); Ctrl-C abandons it. Any other byte, escape sequences of arrow
// keys included, is part of the line (a key holding one is refused later as a control character).

export interface RawModeInput extends NodeJS.ReadableStream {
  setRawMode(mode: boolean): unknown;
}

export type HiddenLine = { readonly kind: 'line'; readonly bytes: Buffer } | { readonly kind: 'interrupted' } | { readonly kind: 'too-long' };

const ENTER = new Set([0x0d, 0x0a]);
const BACKSPACE = new Set([0x7f, 0x08]);
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;

/**
 * One line from `input` with echo off, at most `maxBytes` long; the terminal's mode is restored.
 * `prompt` is called once echo is off, so that nothing typed after it is ever shown.
 */
export function readHiddenLine(input: RawModeInput, maxBytes: number, prompt: () => void): Promise<HiddenLine> {
  return new Promise((resolve) => {
    const typed: number[] = [];
    const finish = (result: HiddenLine): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode(false);
      input.pause();
      resolve(result);
    };
    const onEnd = (): void => finish({ kind: 'line', bytes: Buffer.from(typed) });
    const onData = (chunk: Buffer | string): void => {
      for (const byte of Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)) {
        if (ENTER.has(byte) || byte === CTRL_D) return finish({ kind: 'line', bytes: Buffer.from(typed) });
        if (byte === CTRL_C) return finish({ kind: 'interrupted' });
        if (BACKSPACE.has(byte)) typed.pop();
        else if (byte === CTRL_U) typed.length = 0;
        else typed.push(byte);
        if (typed.length > maxBytes) return finish({ kind: 'too-long' });
      }
    };
    input.setRawMode(true);
    prompt();
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
