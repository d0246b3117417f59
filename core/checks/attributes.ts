// Attributes of the primary face (sunglasses, mask, hat, veil, and clear eyeglasses as an extension)
// from the pack's attribute classifier, run on the landmark-aligned face crop. The model outputs
// calibrated probabilities; thresholds come from the pack manifest (see models/attributes.md).

import { alignFace, type AlignRule } from '../faces/align';
import type { FaceGeometry } from '../faces/landmarks';
import { toTensorData, type Raster } from '../image/raster';
import { modelsOfRole, type AttributeThresholds, type Manifest } from '../models/manifest';
import type { Model } from '../models/registry';
import { ATTRIBUTE_NAMES, type AttributeMeasure, type AttributesResult } from '../types';

const round = (v: number): number => Math.round(v * 10000) / 10000;

/** The aligned crop the pack's attribute model wants: its side in pixels and where the eyes sit. */
export function attributeAlignment(manifest: Manifest): { size: number; rule: AlignRule } {
  const entry = modelsOfRole(manifest, 'attributes')[0]?.[1];
  if (!entry?.align) throw new TypeError(`The pack ${manifest.name} has no attributes model with an align rule.`);
  return { size: entry.input.width, rule: entry.align };
}

/** Each label's probability for the face, from one run of the attribute model. */
export async function attributeProbabilities(model: Model, image: Raster, geometry: FaceGeometry): Promise<Record<string, number>> {
  const { entry } = model;
  const spec = entry.output;
  if (spec.type !== 'attributes' || !entry.align) throw new Error(`Attribute output type ${spec.type} is not supported.`);
  const crop = alignFace(image, geometry.points, entry.input.width, entry.align);
  const outputs = await model.run(toTensorData(crop, entry.input));
  const values = outputs[spec.name]?.data;
  if (!values || values.length < spec.labels.length) throw new Error('Attribute output is missing.');
  const out: Record<string, number> = {};
  spec.labels.forEach((label, i) => { out[label] = values[i]!; });
  return out;
}

/** Judged as reported (to 4 decimals), so that a stored answer explains its own flag. */
function measure(probability: number | undefined, threshold: number, outweighed = false): AttributeMeasure {
  const p = round(probability ?? 0);
  return { probability: p, threshold, detected: p >= threshold && !outweighed };
}

/**
 * Whether the model reads clear eyeglasses more than sunglasses on this face, the probabilities as
 * the answer reports them. Such a face is not detected as wearing sunglasses even at or above their
 * threshold: clear lenses that reflect a screen or a coating's sheen are the sunglasses false alarm
 * that turns a customer away (out of fold, real clear glasses read as sunglasses 4 -> 2 of 204;
 * models/attributes.md).
 */
function sunglassesOutweighed(p: Readonly<Record<string, number>>): boolean {
  return p.eyeglasses !== undefined && p.sunglasses !== undefined && round(p.eyeglasses) > round(p.sunglasses);
}

/** The names checkAttributes reports with this pack: the contract's four, and eyeglasses when the pack's model has that label. */
export function reportedAttributes(manifest: Manifest): string[] {
  const output = modelsOfRole(manifest, 'attributes')[0]?.[1].output;
  const eyeglasses = output?.type === 'attributes' && output.labels.includes('eyeglasses');
  return [...ATTRIBUTE_NAMES, ...(eyeglasses ? ['eyeglasses'] : [])];
}

export async function checkAttributes(model: Model, image: Raster, geometry: FaceGeometry, t: AttributeThresholds): Promise<AttributesResult> {
  const p = await attributeProbabilities(model, image, geometry);
  return {
    sunglasses: measure(p.sunglasses, t.sunglasses, sunglassesOutweighed(p)),
    mask: measure(p.mask, t.mask),
    veil: measure(p.veil, t.veil),
    hat: measure(p.hat, t.hat),
    ...(p.eyeglasses !== undefined ? { eyeglasses: measure(p.eyeglasses, t.eyeglasses ?? 0.5) } : {}),
  };
}
