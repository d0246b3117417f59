#!/usr/bin/env node
// The facelive command line: check, eval, serve, bench, models, hash-key. Each subcommand is a thin adapter over core/.

import { exitOnStopSignals } from '../examples/early-signals';
// serve: a stop signal is handled from here on, before the modules load (a third of a second); PID 1
// has no default action for it (examples/early-signals.ts).
if (process.argv[2] === 'serve') exitOnStopSignals();

import { quote } from '../core/quote';
import { parseArgsMessage } from './args';
import { CHECK_USAGE, runCheck } from './check';

const USAGE = `Usage: facelive <command> [options]

Commands:
  check <file|url|->     liveness, faces, quality and attributes of one image (JSON on stdout)
  eval <dir|list.csv>    ISO/IEC 30107-3 figures of a model pack on labelled images
  serve                  start the HTTP service with its demo page (PORT, FACELIVE_CONFIG)
  bench                  speed of each stage and of the whole check (in a checkout of the repository)
  models install minifasnet   opt-in download of the released MiniFASNet pack, for comparison (pinned, sha256-checked)
  hash-key               SHA-256 of an API key read from standard input, for a credential's apiKeySha256

Run "facelive <command> --help" for a command's options.
`;

export const SERVE_USAGE = `Usage: facelive serve [--check]

Starts the HTTP service with its demo page. It reads its environment:
  PORT              port to listen on, in decimal digits (default 3000; 0 for any free port)
  HOST              address to listen on (default every interface; 127.0.0.1 while it runs on a
                    generated development pair)
  FACELIVE_CONFIG   path of a JSON file: credentials, limits, quotaStore, redisUrl, pack, ... (see
                    docs/express.md, "The service"); without credentials it generates a development pair

Stop it with SIGTERM or SIGINT (it waits for running checks).

  --check     try the configuration as the service would start on it (the file read and checked,
              the model pack loaded), then exit, serving nothing: 0 if it would start, 1 with the
              reason if not. Run it before restarting processes on a changed file.
  -h, --help  show this help
`;

export const BENCH_USAGE = `Usage: facelive bench [--json] [--no-warm-up]

Speed of each stage and of the whole check on generated selfies (from a checkout of the repository).
  --json        print the report as JSON
  --no-warm-up  load the engine without its warm-up (createEngine({ warmUp: false })), to compare
  -h, --help    show this help
`;

/** The exit status of a usage error, as every command's. */
const USAGE_ERROR = 2;

/**
 * A subcommand's arguments against the flags it takes: 0 after printing its usage for -h/--help,
 * USAGE_ERROR for anything else it does not take (rather than ignoring it and starting), undefined to go on.
 */
function checkArguments(name: string, args: readonly string[], flags: readonly string[], usage: string): number | undefined {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(usage);
    return 0;
  }
  const unknown = args.find((arg) => !flags.includes(arg));
  if (unknown === undefined) return undefined;
  process.stderr.write(`facelive ${name}: unexpected argument ${quote(unknown)}.\n\n${usage}`);
  return USAGE_ERROR;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return runCheck(rest);
    case 'eval': {
      const { runEval } = await import('./eval');
      return runEval(rest);
    }
    case 'serve': {
      const refused = checkArguments('serve', rest, ['--check'], SERVE_USAGE);
      if (refused !== undefined) return refused;
      if (rest.includes('--check')) {
        const { checkServiceConfig } = await import('../examples/config-check');
        return checkServiceConfig(process.env);
      }
      const { startServer } = await import('../examples/server');
      await startServer(process.env);
      return -1;
    }
    case 'models': {
      const { runModels } = await import('./models');
      return runModels(rest);
    }
    case 'hash-key': {
      const { runHashKey } = await import('./hash-key');
      return runHashKey(rest);
    }
    case 'bench': {
      const refused = checkArguments('bench', rest, ['--json', '--no-warm-up'], BENCH_USAGE);
      if (refused !== undefined) return refused;
      // The bench and its comparison engine are development tools: a checkout of the repository has
      // them (npm run bench); the published package does not.
      let bench: typeof import('../bench/bench');
      try {
        bench = await import('../bench/bench');
      } catch {
        process.stderr.write('facelive bench runs from a checkout of the facelive repository (npm install, then npm run bench): the published package does not include it.\n');
        return 1;
      }
      return bench.runBench(rest);
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? USAGE_ERROR : 0;
    default:
      process.stderr.write(`Unknown command ${quote(command)}.\n\n${USAGE}`);
      return USAGE_ERROR;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // An error a subcommand did not handle: an internal error, its message cut as parseArgs' would be.
    process.stderr.write(`facelive: ${parseArgsMessage(err)}\n`);
    process.exitCode = 1;
    // An IPC channel (a node:cluster worker, PM2's cluster mode) keeps the process alive: a service
    // that failed to start stayed up there, its reason printed and nothing listening.
    if (process.connected) process.exit(1);
  },
);

export { CHECK_USAGE };
