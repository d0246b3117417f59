// The liveness training crops are cut around the face the engine finds, at every image size: an
// image over the working size (decoded smaller) gives the crops of the same image at working size.

import assert from 'node:assert/strict';
import sharp from 'sharp';
import { cutFaceCrops, CROP_RULES } from '../../models/train/export-crops';
import { WORKING_MAX_SIDE } from '../../core/image/decode';
import { sharedEngine } from '../helpers/engine';
import { selfieJpeg } from '../helpers/faces';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('liveness training crops (export-crops)', function () {
  this.timeout(60_000);

  it('cuts the same crops from an image over the working size as from the same image at that size', async function () {
    const engine = await sharedEngine();
    const small = await selfieJpeg('frontal', 1600, 1200);
    const large = await sharp(small).resize(3200, 2400).jpeg({ quality: 95 }).toBuffer();
    const a = await cutFaceCrops(engine, small);
    const b = await cutFaceCrops(engine, large);
    assert.ok(3200 > WORKING_MAX_SIDE && b.width === WORKING_MAX_SIDE, `the large image is decoded at the working size (${b.width})`);
    assert.ok(Math.abs(b.box.x / b.width - a.box.x / a.width) < 0.01, `box ${JSON.stringify(b.box)} in ${b.width}px against ${JSON.stringify(a.box)} in ${a.width}px`);
    assert.ok(Math.abs(b.box.width / b.width - a.box.width / a.width) < 0.01);
    for (const name of Object.keys(CROP_RULES)) {
      const diff = meanAbsDiff(a.crops[name]!, b.crops[name]!);
      assert.ok(diff < 6, `${name}: mean abs difference ${diff.toFixed(2)} between the two sizes' crops`);
    }
  });

  it('reports the face box in the pixels of the raster the crops were cut from', async function () {
    const engine = await sharedEngine();
    const image = await selfieJpeg('frontal', 640, 480);
    const cut = await cutFaceCrops(engine, image);
    const result = await engine.check(image, { is_liveness: false, is_quality: false, is_attribute: false });
    assert.deepEqual(cut.box, result.data.faces.find((f) => f.primary)!.box);
    assert.equal(cut.width, 640);
    assert.equal(cut.nface, 1);
    for (const [name, rule] of Object.entries(CROP_RULES)) assert.equal(cut.crops[name]!.length, rule.size * rule.size * 3);
  });
});
