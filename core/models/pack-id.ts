// A model pack's identity as one string, `name@version`: what `facelive eval --calibrate` prints beside
// a calibrated threshold, and what a check context's (or a credential's) livenessThresholdPack names,
// so that a threshold calibrated on one pack is not used with another.

import { describeValue } from '../value-kind';
import { quote } from '../quote';

/** `name@version` of a pack (as every answer's `pack` reports them). */
export function packId(pack: { readonly name: string; readonly version: string }): string {
  return `${pack.name}@${pack.version}`;
}

/**
 * Checks a livenessThresholdPack given beside a livenessThreshold (`where` names it in the TypeError):
 * `name@version`, and only with a threshold whose pack it names.
 */
export function checkThresholdPack(pack: unknown, threshold: unknown, where: string): string {
  if (typeof pack !== 'string' || !/^[^\s@]+@\S+$/.test(pack) || pack.length > 200) {
    throw new TypeError(`Expected a pack as name@version (as facelive eval --calibrate prints it) for ${where}.livenessThresholdPack but received ${describeValue(pack)}.`);
  }
  if (threshold === undefined) throw new TypeError(`${where}.livenessThresholdPack names the pack of a livenessThreshold, and ${where} has none.`);
  return pack;
}

/**
 * Why a threshold calibrated on the pack `calibrated` must not judge checks on the pack `running`
 * (both `name@version`), or undefined when it may: it names no pack, or this one. `whose` opens the
 * sentence ("The liveness threshold of App-ID ...").
 */
export function thresholdPackMismatch(calibrated: string | undefined, running: string, whose = 'The liveness threshold'): string | undefined {
  if (calibrated === undefined || calibrated === running) return undefined;
  return `${whose} was calibrated on the model pack ${quote(calibrated)}, and this service runs ${quote(running)}: calibrate it again on this pack (facelive eval --calibrate) and update the threshold and its pack.`;
}
