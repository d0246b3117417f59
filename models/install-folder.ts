// Where `facelive models install` may write a pack, and how: a new or empty folder, or an earlier
// install of the same pack, never the folder the base pack is read from; the pack is written into a
// temporary sibling folder and renamed into place once it reads back, so a failure leaves no half-written pack;
// that folder is made before its contents are fetched, so a place that cannot be written is refused first.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { readPack } from '../core/models/manifest';

/** The real path of a folder that may not exist yet (its nearest existing parent's, then the rest). */
async function realPathOf(dir: string): Promise<string> {
  const resolved = path.resolve(dir);
  try {
    return await realpath(resolved);
  } catch {
    const parent = path.dirname(resolved);
    return parent === resolved ? resolved : path.join(await realPathOf(parent), path.basename(resolved));
  }
}

/** Whether `inner` is `outer` or inside it, by whole path segments (`/x/repo-crops` is not inside `/x/repo`). */
export function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** The name in a folder's manifest.json, or undefined when it holds no readable pack. */
function packName(dir: string): string | undefined {
  try {
    return readPack(dir).manifest.name;
  } catch {
    return undefined;
  }
}

/**
 * Refuses an install target that would overwrite anything but an earlier install of the pack named
 * `name`: a file, a folder with other contents, or the base pack's folder (or one holding it).
 */
export async function checkInstallTarget(outDir: string, baseDir: string, name: string): Promise<void> {
  const [target, base] = await Promise.all([realPathOf(outDir), realPathOf(baseDir)]);
  if (isWithin(base, target)) {
    throw new Error(`${outDir} holds the pack the MiniFASNet pack is built from (${baseDir}): choose another folder. Nothing was written.`);
  }
  const stat = await lstat(outDir).catch(() => null);
  if (stat === null) return;
  if (!stat.isDirectory()) throw new Error(`${outDir} is not a folder: choose a new or empty folder. Nothing was written.`);
  if ((await readdir(outDir)).length === 0) return;
  const found = packName(outDir);
  if (found !== name) {
    const holds = found === undefined ? 'files that are not a model pack' : `another model pack ("${found}")`;
    throw new Error(`${outDir} holds ${holds}: choose a new or empty folder, or one an earlier install wrote. Nothing was written.`);
  }
}

/** The folder a pack was to be written into cannot be created there (read-only, not a folder...). */
export class UnwritableFolder extends Error {
  override name = 'UnwritableFolder';
}

/**
 * Fills a temporary folder beside `outDir` with `fill`, then puts it in `outDir`'s place (the earlier
 * folder, if any, is removed only once the new one is there). On any failure the temporary folder is
 * removed and `outDir` is left as it was.
 */
export async function writeFolderInPlace(outDir: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const target = path.resolve(outDir);
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.partial-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await mkdir(staging);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UnwritableFolder(`Cannot create a folder in ${path.dirname(target)} (${code}). Nothing was downloaded or written.`, { cause: err });
  }
  try {
    await fill(staging);
    const earlier = (await lstat(target).catch(() => null)) === null ? undefined : `${staging}.earlier`;
    if (earlier !== undefined) await rename(target, earlier);
    try {
      await rename(staging, target);
    } catch (err) {
      if (earlier !== undefined) await rename(earlier, target);
      throw err;
    }
    if (earlier !== undefined) await rm(earlier, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
