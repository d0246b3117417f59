// The faces of a decoded image as a check finds them: the pack's detector, and its orientation model
// where the pack has one, on the image turned upright where a face needs it. The engine and the
// training exporters (models/train/) both call this, so that the boxes crops are cut around in
// training are the very boxes (unrounded, in the same raster) the served models get.

import type { Raster } from '../image/raster';
import { modelsOfRole, type Manifest } from '../models/manifest';
import type { Registry } from '../models/registry';
import { detectFacesAnyTurn, type OrientedFaces } from './orientation';

/** The faces found, strongest first (the primary face is the first), and the raster they lie in. */
export function findFaces(registry: Registry, manifest: Manifest, raster: Raster): Promise<OrientedFaces> {
  const detector = modelsOfRole(manifest, 'detector')[0];
  if (detector === undefined) throw new TypeError('The model pack has no detector.');
  const orientation = modelsOfRole(manifest, 'orientation')[0];
  return detectFacesAnyTurn(registry.get(detector[0]), raster, orientation === undefined ? undefined : registry.get(orientation[0]));
}
