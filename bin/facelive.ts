#!/usr/bin/env node
// The facelive command line: check, eval, serve, bench. Each subcommand is a thin adapter over core/.

import { CHECK_USAGE, runCheck } from './check';

const USAGE = `Usage: facelive <command> [options]

Commands:
  check <file|url|->     liveness, faces, quality and attributes of one image (JSON on stdout)
  eval <dir|list.csv>    ISO/IEC 30107-3 figures of a model pack on labelled images
  serve                  start the HTTP service with its demo page (PORT, FACELIVE_CONFIG)
  bench                  speed of each stage and of the whole check (in a checkout of the repository)
  models install minifasnet   opt-in download of the released MiniFASNet pack, for comparison (pinned, sha256-checked)

Run "facelive <command> --help" for a command's options.
`;

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
      const { startServer } = await import('../examples/server');
      await startServer(process.env);
      return -1;
    }
    case 'models': {
      const { runModels } = await import('./models');
      return runModels(rest);
    }
    case 'bench': {
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
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`facelive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

export { CHECK_USAGE };
