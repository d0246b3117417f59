// `facelive models install minifasnet`: the explicit, opt-in download of the released MiniFASNet liveness pack
// (pinned URLs, sha256-checked). Nothing else in facelive downloads models.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PACK_DIR } from '../core';
import { quote } from '../core/quote';
import { UnwritableFolder } from '../models/install-folder';
import { installMiniFasNetPack, MINIFASNET_MODELS } from '../models/minifasnet';
import { parseArgsMessage } from './args';

/** Said when the default folder, inside the installed package, cannot be written. */
const DEFAULT_DIR_UNWRITABLE = `The default folder is inside the installed facelive package, which cannot be written here (a read-only
install, or Yarn Plug'n'Play, which keeps packages in zip archives): give --dir a folder of your own, and
name it as the pack (createEngine({ pack }), --pack, or the service's config).
`;

export const MODELS_USAGE = `Usage: facelive models install minifasnet [--dir DIR] [--from DIR|URL]

Downloads Silent-Face MiniFASNet V2 and V1SE (Apache-2.0) from their pinned commit, checks each
file's sha256, and writes a model pack that fuses them with the faceplugin pack's models (the
default pack's liveness models are fine-tuned copies of these two: this pack is for comparison).
Use it with --pack DIR (CLI), engineOptions.pack (Express) or the engine node's pack field.

  --dir DIR        where to write the pack (default: models/minifasnet in the package): a new or
                   empty folder, or one an earlier install wrote (it is replaced whole)
  --from DIR|URL   take the files from a local folder or another base URL (air-gapped installs);
                   the pinned sha256 still applies; an empty value is refused, never the public URLs

Exit status: 0 installed, 2 usage error (an unknown option or subcommand, an empty --dir or --from),
1 failure (a download, a checksum, a folder it may not write into).
`;

/** The exit status of a usage error, as the other commands'. */
const USAGE_ERROR = 2;

export async function runModels(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { dir: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (err) {
    process.stderr.write(`facelive: ${parseArgsMessage(err)}\n\n${MODELS_USAGE}`);
    return USAGE_ERROR;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(MODELS_USAGE);
    return 0;
  }
  if (positionals[0] !== 'install' || positionals[1] !== 'minifasnet' || positionals.length !== 2) {
    process.stderr.write(`facelive models: expected "install minifasnet" but received ${quote(positionals.join(' '))}.\n\n${MODELS_USAGE}`);
    return USAGE_ERROR;
  }
  if (values.dir !== undefined && values.dir.trim() === '') {
    process.stderr.write(`Expected a directory for --dir but received an empty string.\n\n${MODELS_USAGE}`);
    return USAGE_ERROR;
  }
  if (values.from !== undefined && values.from.trim() === '') {
    process.stderr.write(`Expected a folder or URL for --from but received an empty string.\n\n${MODELS_USAGE}`);
    return USAGE_ERROR;
  }
  const outDir = path.resolve(values.dir ?? path.join(DEFAULT_PACK_DIR, 'minifasnet'));
  try {
    process.stderr.write(`facelive: fetching ${MINIFASNET_MODELS.map((m) => m.file).join(', ')}...\n`);
    // Built on the npm-built pack, the combination its fusion weights and threshold were measured on.
    await installMiniFasNetPack({ baseDir: path.join(DEFAULT_PACK_DIR, 'faceplugin'), outDir, from: values.from });
    process.stdout.write(`facelive: installed the MiniFASNet pack in ${outDir}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`facelive: ${(err as Error).message}\n`);
    if (err instanceof UnwritableFolder && values.dir === undefined) process.stderr.write(DEFAULT_DIR_UNWRITABLE);
    return 1;
  }
}
