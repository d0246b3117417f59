// A model pack's identity as one string, `name@version`: what `facelive eval --calibrate` prints beside
// a calibrated threshold and what a credential's livenessThresholdPack names, so that a threshold
// calibrated on one pack is not used with another.

/** `name@version` of a pack (as every answer's `pack` reports them). */
export function packId(pack: { readonly name: string; readonly version: string }): string {
  return `${pack.name}@${pack.version}`;
}
