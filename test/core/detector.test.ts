// Face geometry: letterboxing keeps boxes exact whatever the image shape (portrait, landscape,
// square, padded, scaled, EXIF-rotated), faces that fill the frame are found (each padded retry in
// turn), a small face in a small image is found (the enlarged retry), a crowd of small faces in a
// large image is counted, and tiny background faces are listed but not counted.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_PACK_DIR, FaceliveError, type Engine } from '../../core';
import type { Manifest } from '../../core/models/manifest';
import { fitFrame, letterbox, toImageBox } from '../../core/faces/letterbox';
import type { Raster } from '../../core/image/raster';
import type { Box, CheckResult } from '../../core/types';
import { engineWithManifest, sharedEngine } from '../helpers/engine';
import { groupPhoto, landscapeJpeg, selfieJpeg } from '../helpers/faces';

const FLAGS = { is_liveness: false, is_quality: false, is_attribute: false };

/** An engine on the default pack with some detector settings changed. */
function engineWithDetector(change: Record<string, unknown>): Promise<{ engine: Engine; close(): Promise<void> }> {
  return engineWithManifest((manifest) => {
    Object.assign(manifest.models.detector!.output, change);
    return manifest;
  });
}

function primaryBox(result: CheckResult): Box {
  return result.data.faces.find((f) => f.primary)!.box;
}

/** Box corners agree within `tolerance` pixels. */
function assertSameBox(actual: Box, expected: Box, tolerance: number, what: string): void {
  const corners = (b: Box): number[] => [b.x, b.y, b.x + b.width, b.y + b.height];
  const diff = Math.max(...corners(actual).map((v, i) => Math.abs(v - corners(expected)[i]!)));
  assert.ok(diff <= tolerance, `${what}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)} (off by ${diff.toFixed(1)} px)`);
}

const scaleBox = (b: Box, s: number, dx = 0, dy = 0): Box => ({ x: b.x * s + dx, y: b.y * s + dy, width: b.width * s, height: b.height * s });

async function onCanvas(face: Buffer, width: number, height: number, left: number, top: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#6a7a70' } })
    .composite([{ input: face, left, top }]).jpeg({ quality: 92 }).toBuffer();
}

describe('face geometry (letterboxed detection)', function () {
  let engine: Engine;
  let reference: Box;
  let framed: Buffer;
  before(async function () {
    engine = await sharedEngine();
    // The selfie on a plain 800x600 backdrop: the face's surroundings stay the same in every variant.
    framed = await onCanvas(await selfieJpeg('frontal', 640, 480), 800, 600, 80, 60);
    reference = primaryBox(await engine.check(framed, FLAGS));
  });

  it('letterbox arithmetic: one scale on both axes, and boxes map back exactly', function () {
    const image: Raster = { data: new Uint8Array(1080 * 1920 * 3).fill(200), width: 1080, height: 1920, channels: 3 };
    const dynamic = fitFrame(1080, 1920, { width: 320, height: 320, dynamicMultiple: 32 });
    assert.deepEqual(dynamic, { width: 192, height: 320, scale: 320 / 1920 });
    const fixed = fitFrame(1080, 1920, { width: 320, height: 240 });
    assert.equal(fixed.scale, 240 / 1920);
    const lb = letterbox(image, { x: 0, y: 0, width: 1080, height: 1920 }, { width: 320, height: 240 }, 7);
    assert.equal(lb.input.width, 320);
    // Content fills 135 columns; the rest is the fill level, not squashed image.
    assert.equal(lb.input.data[(10 * 320 + 100) * 3], 200);
    assert.equal(lb.input.data[(10 * 320 + 200) * 3], 7);
    const back = toImageBox({ x: 30, y: 60, width: 45, height: 90 }, lb, 1080, 1920);
    assertSameBox(back, { x: 240, y: 480, width: 360, height: 720 }, 1e-9, 'mapped back');
  });

  // Tolerances: scaling the whole image keeps the first pass's view, and the box agrees within a few
  // pixels (the refinement window is resampled from more or fewer pixels); padding changes how large
  // the face is in the detector's input, and the box then moves by up to about 8 % of its side
  // (3 pixels of the detector's input) even after the refinement pass.
  it('the same face gives the same box when padded into portrait, landscape or square frames', async function () {
    const frames = [
      { name: 'portrait 800x1422', width: 800, height: 1422, left: 0, top: 411 },
      { name: 'tall portrait 900x2000', width: 900, height: 2000, left: 50, top: 1000 },
      { name: 'landscape 1800x640', width: 1800, height: 640, left: 900, top: 20 },
      { name: 'square 1100x1100', width: 1100, height: 1100, left: 130, top: 210 },
    ];
    for (const frame of frames) {
      const image = await onCanvas(framed, frame.width, frame.height, frame.left, frame.top);
      const result = await engine.check(image, FLAGS);
      assert.equal(result.data.nface, 1, frame.name);
      assertSameBox(primaryBox(result), scaleBox(reference, 1, frame.left, frame.top), 0.08 * reference.width, frame.name);
    }
  });

  it('the same face gives the same box scaled, and when stored rotated with an EXIF orientation', async function () {
    for (const scale of [0.5, 2.25]) {
      const scaled = await sharp(framed).resize(Math.round(800 * scale), Math.round(600 * scale)).jpeg({ quality: 92 }).toBuffer();
      assertSameBox(primaryBox(await engine.check(scaled, FLAGS)), scaleBox(reference, scale), 0.07 * reference.width * scale, `scaled x${scale}`);
    }
    // Pixels stored rotated 90 degrees (a portrait buffer) with EXIF orientation 6: upright once decoded.
    const raw = await sharp(framed).rotate(-90).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(raw).metadata();
    assert.equal(meta.width, 600);
    const result = await engine.check(raw, FLAGS);
    assert.deepEqual([result.data.image.width, result.data.image.height], [800, 600]);
    assertSameBox(primaryBox(result), reference, 0.04 * reference.width, 'EXIF-rotated');
  });

  it('finds a face in a 1080x1920 portrait phone frame', async function () {
    // A portrait selfie: the face in the upper half of a tall frame, as phone cameras take them.
    const face = await selfieJpeg('right', 760, 760);
    const image = await sharp({ create: { width: 1080, height: 1920, channels: 3, background: '#3b4652' } })
      .composite([{ input: face, left: 160, top: 380 }]).jpeg({ quality: 90 }).toBuffer();
    const result = await engine.check(image, FLAGS);
    assert.equal(result.data.nface, 1);
    const box = primaryBox(result);
    assert.ok(box.x > 160 && box.x + box.width < 920 && box.y > 380 && box.y + box.height < 1140, JSON.stringify(box));
  });

  it('finds a face cropped so tightly that it fills the frame (padded retry)', async function () {
    const face = await selfieJpeg('frontal', 640, 480);
    const b = reference;
    for (const [w, h] of [[1, 1], [0.8, 0.8]]) {
      const crop = await sharp(face).extract({
        left: Math.round(b.x + (b.width * (1 - w)) / 2), top: Math.round(b.y + (b.height * (1 - h)) / 2),
        width: Math.round(b.width * w), height: Math.round(b.height * h),
      }).jpeg({ quality: 92 }).toBuffer();
      const result = await engine.check(crop, FLAGS);
      assert.equal(result.data.nface, 1, `crop ${w}x${h} of the box`);
    }
  });

  it('tries each padding of the padded retry in turn: a face the first padding misses is found by a later one', async function () {
    // A band of the face (45 % of its box's width, 30 % of its height): the detector misses it as it
    // is and in a border of half the image on each side, and finds it in a narrower border.
    const face = await selfieJpeg('downward', 640, 480);
    const b = primaryBox(await engine.check(face, FLAGS));
    const band = await sharp(face).extract({
      left: Math.round(b.x + b.width * 0.275), top: Math.round(b.y + b.height * 0.35), width: Math.round(b.width * 0.45), height: Math.round(b.height * 0.3),
    }).jpeg({ quality: 92 }).toBuffer();
    assert.equal((await engine.check(band, FLAGS)).data.nface, 1, 'found with the shipped retries');
    const shipped = JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual((shipped.models.detector!.output as { padRetry?: unknown }).padRetry, [0.5, 0.25, 0.1]);
    const onePadding = await engineWithDetector({ padRetry: 0.5, enlargedRetry: undefined });
    try {
      await assert.rejects(onePadding.engine.check(band, FLAGS), (err: unknown) => err instanceof FaceliveError && err.code === 'FACE_NOT_DETECTED');
    } finally {
      await onePadding.close();
    }
  });

  it('finds a small face in a small image with the enlarged retry, and only with it', async function () {
    // The selfie shrunk to 100x75 on a 480x360 backdrop: its face is about 40 pixels wide.
    const small = await sharp(await selfieJpeg('frontal', 640, 480)).resize(100, 75).toBuffer();
    const image = await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 120, g: 130, b: 140 } } })
      .composite([{ input: small, left: 150, top: 120 }]).jpeg({ quality: 92 }).toBuffer();
    const found = await engine.check(image, FLAGS);
    assert.equal(found.data.nface, 1);
    const box = primaryBox(found);
    assert.ok(box.x >= 150 && box.y >= 120 && box.x + box.width <= 250 && box.y + box.height <= 195, JSON.stringify(box));
    const withoutIt = await engineWithDetector({ enlargedRetry: undefined });
    try {
      await assert.rejects(withoutIt.engine.check(image, FLAGS), (err: unknown) => err instanceof FaceliveError && err.code === 'FACE_NOT_DETECTED');
    } finally {
      await withoutIt.close();
    }
  });

  it('counts a crowd of small faces in a large image (second, high-resolution pass)', async function () {
    const tiles: { input: Buffer; left: number; top: number }[] = [];
    const names = ['frontal', 'right', 'downward'] as const;
    let n = 0;
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 8; col++) {
        const tile = await selfieJpeg(names[(row + col) % 3], 200, 150);
        tiles.push({ input: tile, left: 20 + col * 235, top: 120 + row * 300 });
        n++;
      }
    }
    const image = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#5d6b5f' } })
      .composite(tiles).jpeg({ quality: 90 }).toBuffer();
    const result = await engine.check(image, FLAGS);
    assert.equal(result.data.nface, n);
    assert.ok(result.data.faces.every((f) => f.counted));
  });

  it('lists a tiny background face (a poster, a screen behind the user) without counting it', async function () {
    const user = await selfieJpeg('frontal', 640, 480);
    const poster = await selfieJpeg('right', 160, 120);
    const image = await sharp(user).composite([{ input: poster, left: 20, top: 350 }]).jpeg({ quality: 92 }).toBuffer();
    const result = await engine.check(image, FLAGS);
    assert.equal(result.data.nface, 1);
    assert.equal(result.data.faces.length, 2, 'both faces are listed');
    const small = result.data.faces.find((f) => !f.primary)!;
    assert.equal(small.counted, false);
    assert.ok(small.box.x < 180 && small.box.y > 350, JSON.stringify(small.box));
  });

  it('two faces side by side: no box straddling both becomes the primary face (or is counted)', async function () {
    // A face filling its tile, twice, touching: the detector also proposes a box over both halves
    // (it scored 0.75 and was the largest, so the checks described it, and nface said 3).
    const tile = await sharp(groupPhoto('sample3.jpg')).extract({ left: 1001, top: 231, width: 378, height: 238 })
      .resize(411, 411, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
    const image = await sharp({ create: { width: 822, height: 411, channels: 3, background: '#808080' } })
      .composite([{ input: tile, left: 0, top: 0 }, { input: tile, left: 411, top: 0 }]).jpeg({ quality: 92 }).toBuffer();
    const result = await engine.check(image, FLAGS);
    assert.equal(result.data.nface, 2, JSON.stringify(result.data.faces.map((f) => [f.box, f.score])));
    for (const face of result.data.faces) {
      const straddles = face.box.x < 411 - 20 && face.box.x + face.box.width > 411 + 20;
      assert.ok(!straddles, `a box over both faces is listed: ${JSON.stringify(face.box)}`);
    }
  });

  it('finds no face in a large landscape, even with the second pass', async function () {
    await assert.rejects(engine.check(await landscapeJpeg(1920, 1080), FLAGS), (err: { code?: string }) => err.code === 'FACE_NOT_DETECTED');
  });
});
