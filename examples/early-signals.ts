// SIGTERM and SIGINT while the service starts, before its graceful shutdown is in place: the process
// exits at once, with the status a signal's default action gives (143, 130). Left to that default,
// the same would happen, except where the service runs as PID 1 (a container started without an
// init): the kernel drops signals that PID 1 has no handler for, and a stop sent during the half
// second before it listened was lost, so the service came up anyway and ran until killed.

const EXIT_STATUS: Readonly<Record<'SIGTERM' | 'SIGINT', number>> = Object.freeze({ SIGTERM: 143, SIGINT: 130 });

let installed = false;

function exitAtOnce(signal: NodeJS.Signals): void {
  process.stderr.write(`facelive: stopped by ${signal} while starting\n`);
  process.exit(EXIT_STATUS[signal as 'SIGTERM' | 'SIGINT'] ?? 1);
}

/** Exits at once on SIGTERM or SIGINT until exitOnStopSignalsDone() (idempotent). */
export function exitOnStopSignals(): void {
  if (installed) return;
  installed = true;
  process.on('SIGTERM', exitAtOnce);
  process.on('SIGINT', exitAtOnce);
}

/** Removes those handlers: the caller's own (a graceful shutdown) take over. */
export function exitOnStopSignalsDone(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('SIGTERM', exitAtOnce);
  process.removeListener('SIGINT', exitAtOnce);
}
