// Writes a calibrated copy of a model pack: manifest.json with liveness.threshold replaced (and how it
// was chosen recorded in liveness.calibration), plus the model files the manifest names.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readPack, validateManifest } from '../models/manifest';
import { quote } from '../quote';
import type { Interval } from './interval';
import type { CalibrationRule, SearchPoint } from './metrics';

export interface CalibrationRecord {
  readonly target_bpcer: number;
  /** 'calibration_faces': BPCER <= target on the calibration faces; 'new_faces': expected on new faces. */
  readonly rule: CalibrationRule;
  /** BPCER to expect on new live faces of the same cameras, (r + 1) / (n + 1). */
  readonly expected_bpcer: number | null;
  /** Where that BPCER falls for 95 % of calibrations on as many live faces. */
  readonly expected_bpcer_ci: Interval | null;
  /** BPCER and APCERs the threshold gave on the calibration data. */
  readonly bpcer: number;
  readonly apcer_max: number;
  readonly apcer_pooled: number;
  /** Scored images it was chosen on. */
  readonly live: number;
  readonly attacks: number;
  /** Name of the data set (its folder or file name, never a full path). */
  readonly data: string;
}

/** Why `to` cannot take a calibrated pack (an existing file, or under one), or undefined when it can. */
export async function packFolderProblem(to: string): Promise<string | undefined> {
  // The nearest existing folder on the way must be a folder: the rest is created.
  for (let dir = path.resolve(to); ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir).catch(() => null);
    if (stat !== null) return stat.isDirectory() ? undefined : `--out ${quote(to)}: ${quote(dir)} exists and is not a folder.`;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Copies the pack in `from` to `to` with liveness.threshold = point.threshold. `to` is created when
 * missing; files already there with the same names are replaced. Returns the files written.
 */
/** Whether `out` is the pack folder `pack` itself, through links too (an `out` that does not exist yet is not). */
export async function isPackFolder(out: string, pack: string): Promise<boolean> {
  const real = async (dir: string): Promise<string> => fs.realpath(dir).catch(() => path.resolve(dir));
  return (await real(out)) === (await real(pack));
}

export async function writeCalibratedPack(
  from: string,
  to: string,
  point: SearchPoint,
  record: Omit<CalibrationRecord, 'bpcer' | 'apcer_max' | 'apcer_pooled'>,
): Promise<string[]> {
  if (!(point.threshold >= 0 && point.threshold <= 1)) {
    throw new RangeError(`The calibrated threshold ${point.threshold} is outside [0,1]; the pack was not written.`);
  }
  if (await isPackFolder(to, from)) {
    throw new TypeError('Expected --out to be another folder than the pack itself: the calibrated copy would overwrite it.');
  }
  const pack = readPack(from);
  const manifest = JSON.parse(JSON.stringify(pack.manifest)) as Record<string, unknown> & { liveness: Record<string, unknown> };
  const calibration: CalibrationRecord = {
    ...record,
    bpcer: point.bpcer,
    apcer_max: point.apcer_max,
    apcer_pooled: point.apcer,
  };
  manifest.liveness = { ...manifest.liveness, threshold: point.threshold, calibration };
  validateManifest(manifest, path.join(to, 'manifest.json'));

  await fs.mkdir(to, { recursive: true });
  const files = [...new Set(Object.values(pack.manifest.models).map((m) => m.file))].sort();
  for (const file of files) await fs.copyFile(path.join(pack.dir, file), path.join(to, file));
  await fs.writeFile(path.join(to, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return ['manifest.json', ...files];
}
