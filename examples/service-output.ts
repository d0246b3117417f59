// The service's two output streams, written so that a failing one never ends the service or loses an
// answer: standard output carries the log, and a log reader that exits (`| head`, a collector that
// crashed) makes the next write fail with EPIPE, an 'error' event that nothing else would handle.
// Once a stream has failed, what is written to it is dropped; a failed log says so once on standard
// error while that still works (a failing standard error is dropped without a word).

import type { Writable } from 'node:stream';

/** A stream that is written until it fails, and then no more. */
export interface GuardedOutput {
  /** Writes `text`, or drops it once the stream has failed. Never throws. */
  write(text: string): void;
  /** True once the stream has failed. */
  readonly failed: boolean;
}

/** Guards `stream`; `onFailure` is called once, with the first error. */
export function guardOutput(stream: Writable, onFailure: (err: Error) => void = () => undefined): GuardedOutput {
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    onFailure(err);
  };
  stream.on('error', fail);
  return {
    write(text) {
      if (failed) return;
      try {
        stream.write(text);
      } catch (err) {
        fail(err as Error);
      }
    },
    get failed() {
      return failed;
    },
  };
}

export interface ServiceOutput {
  /** Standard output: the log, one JSON entry a line. */
  readonly log: GuardedOutput;
  /** Standard error: what is written for the person who started the service. */
  readonly notes: GuardedOutput;
}

let outputs: ServiceOutput | undefined;

/** The process's standard output and standard error, guarded (once per process). */
export function serviceOutput(): ServiceOutput {
  if (outputs === undefined) {
    const notes = guardOutput(process.stderr);
    const log = guardOutput(process.stdout, (err) => {
      const reason = (err as NodeJS.ErrnoException).code ?? err.message;
      notes.write(`facelive: standard output failed (${reason}): the service goes on, without its log lines.\n`);
    });
    outputs = { log, notes };
  }
  return outputs;
}
