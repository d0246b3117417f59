// Byte edits of real JPEGs for decoder tests: 0xFF fill bytes before markers, stray bytes between
// segments or between the scans of a progressive JPEG (which libjpeg skips with a warning), and a
// frame header that claims another size.

import assert from 'node:assert/strict';
import { headerSize } from '../../core/image/decode';

/** The JPEG with two 0xFF fill bytes before every marker after SOI (legal, and what libjpeg skips). */
export function withFillBytes(jpeg: Buffer): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1]!;
    if (marker === 0xda) break; // scan data follows: copy the rest as it is
    const length = jpeg.readUInt16BE(offset + 2);
    parts.push(Buffer.from([0xff, 0xff]), jpeg.subarray(offset, offset + 2 + length));
    offset += 2 + length;
  }
  parts.push(Buffer.from([0xff, 0xff]), jpeg.subarray(offset));
  return Buffer.concat(parts);
}

/**
 * The JPEG with one 0x00 byte after its first segment (APP0 in sharp's output): not legal, but
 * libjpeg skips it ("1 extraneous bytes before marker") and decodes the same pixels.
 */
export function withStrayByte(jpeg: Buffer): Buffer {
  const afterFirstSegment = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, afterFirstSegment), Buffer.from([0x00]), jpeg.subarray(afterFirstSegment)]);
}

/**
 * The progressive JPEG with `junk` inserted before its second scan's header, where a table segment
 * ends (not scan data): libjpeg skips it with a warning, as it does a stray byte between header segments.
 */
export function withJunkBetweenScans(jpeg: Buffer, junk: Buffer): Buffer {
  const firstScan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const tablesAfterIt = jpeg.indexOf(Buffer.from([0xff, 0xc4]), firstScan);
  assert.ok(firstScan > 0 && tablesAfterIt > firstScan, 'a progressive JPEG with a table segment after its first scan');
  const secondScan = tablesAfterIt + 2 + jpeg.readUInt16BE(tablesAfterIt + 2);
  assert.equal(jpeg.readUInt16BE(secondScan), 0xffda, 'the second scan follows the table segment');
  return Buffer.concat([jpeg.subarray(0, secondScan), junk, jpeg.subarray(secondScan)]);
}

/** The JPEG with its frame header (SOF) edited to claim width x height pixels. */
export function claiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const at = headerSize(out, 'jpeg');
  assert.ok(at, 'the frame header is readable');
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i - 1] === 0xff && out[i] >= 0xc0 && out[i] <= 0xc2 && out.readUInt16BE(i + 4) === at.height && out.readUInt16BE(i + 6) === at.width) {
      out.writeUInt16BE(height, i + 4);
      out.writeUInt16BE(width, i + 6);
      return out;
    }
  }
  throw new Error('no frame header found');
}
