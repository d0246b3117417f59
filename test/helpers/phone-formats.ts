// Image files as today's phones write them, made at test time from a test JPEG: an Android motion
// photo (the JPEG with an MP4 after its end marker, named by XMP), an Ultra HDR / JPEG_R photo (a
// primary JPEG whose MPF segment points at a gain-map JPEG after it), an iPhone's HEIC (the HEIF
// container of a sharp AVIF with HEVC brands and item types: no HEVC encoder is at hand, and
// facelive refuses the file by its brands before any decoder sees it), and an HDR PNG (16-bit
// samples in the PQ or HLG transfer, named by a cICP chunk).

import { randomFillSync } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A JPEG marker segment: FF, marker, 2-byte length, payload. */
function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

function xmpSegment(xml: string): Buffer {
  return segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xml)]));
}

/** The JPEG with `segments` inserted after its SOI and its leading APP0/APP1 (JFIF, EXIF) segments. */
function afterLeadingSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  let offset = 2;
  while (jpeg[offset] === 0xff && (jpeg[offset + 1] === 0xe0 || jpeg[offset + 1] === 0xe1)) offset += 2 + jpeg.readUInt16BE(offset + 2);
  return Buffer.concat([jpeg.subarray(0, offset), ...segments, jpeg.subarray(offset)]);
}

const RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"';
const CONTAINER = 'xmlns:Container="http://ns.google.com/photos/1.0/container/" xmlns:Item="http://ns.google.com/photos/1.0/container/item/"';

/** An MP4 of `length` bytes: an ftyp box, then an mdat box of random bytes. */
export function mp4Bytes(length: number): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isommp42', 16, 'latin1');
  const mdat = Buffer.alloc(length - 24);
  mdat.writeUInt32BE(mdat.length, 0);
  mdat.write('mdat', 4, 'latin1');
  randomFillSync(mdat, 8);
  return Buffer.concat([ftyp, mdat]);
}

/** A motion photo (Google's Motion Photo format 1.0, as Android cameras write it): the JPEG, then a video of `videoBytes`. */
export function motionPhoto(jpeg: Buffer, videoBytes: number): Buffer {
  const xml = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${RDF}><rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" ${CONTAINER}`
    + ' GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1" GCamera:MotionPhotoPresentationTimestampUs="0"><Container:Directory><rdf:Seq>'
    + '<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>'
    + `<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="${videoBytes}" Item:Padding="0"/></rdf:li>`
    + '</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>';
  return Buffer.concat([afterLeadingSegments(jpeg, [xmpSegment(xml)]), mp4Bytes(videoBytes)]);
}

/** An APP2 MPF segment (CIPA DC-007) listing the primary image and one gain map at `gainOffset` from its TIFF header. */
function mpfSegment(primaryLength: number, gainLength: number, gainOffset: number): Buffer {
  const entriesAt = 8 + 2 + 3 * 12 + 4;
  const tiff = Buffer.alloc(entriesAt + 32);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(3, 8);
  const tag = (at: number, id: number, type: number, count: number, value: (b: Buffer, at: number) => void) => {
    tiff.writeUInt16BE(id, at);
    tiff.writeUInt16BE(type, at + 2);
    tiff.writeUInt32BE(count, at + 4);
    value(tiff, at + 8);
  };
  tag(10, 0xb000, 7, 4, (b, at) => b.write('0100', at, 'latin1')); // MPFVersion
  tag(22, 0xb001, 4, 1, (b, at) => b.writeUInt32BE(2, at)); // NumberOfImages
  tag(34, 0xb002, 7, 32, (b, at) => b.writeUInt32BE(entriesAt, at)); // MPEntry
  tiff.writeUInt32BE(0x20030000, entriesAt); // primary image, baseline MP primary
  tiff.writeUInt32BE(primaryLength, entriesAt + 4);
  tiff.writeUInt32BE(gainLength, entriesAt + 20);
  tiff.writeUInt32BE(gainOffset, entriesAt + 24);
  return segment(0xe2, Buffer.concat([Buffer.from('MPF\0', 'latin1'), tiff]));
}

/**
 * An Ultra HDR (JPEG_R) photo, as Android 14 and later write it: the primary JPEG with hdrgm XMP
 * and an MPF segment, then a quarter-size grey gain-map JPEG with its own hdrgm XMP.
 */
export async function ultraHdr(primary: Buffer): Promise<Buffer> {
  const { width = 4, height = 4 } = await sharp(primary).metadata();
  const grey = await sharp({ create: { width: Math.ceil(width / 4), height: Math.ceil(height / 4), channels: 3, background: { r: 160, g: 160, b: 160 } } })
    .greyscale().jpeg().toBuffer();
  const gain = afterLeadingSegments(grey, [xmpSegment(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${RDF}><rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"`
    + ' hdrgm:Version="1.0" hdrgm:GainMapMin="0" hdrgm:GainMapMax="2" hdrgm:Gamma="1" hdrgm:OffsetSDR="0.015625" hdrgm:OffsetHDR="0.015625"'
    + ' hdrgm:HDRCapacityMin="0" hdrgm:HDRCapacityMax="2" hdrgm:BaseRenditionIsHDR="False"/></rdf:RDF></x:xmpmeta>')]);
  const xmp = xmpSegment(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ${RDF}><rdf:Description ${CONTAINER} xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0">`
    + '<Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>'
    + `<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="${gain.length}"/></rdf:li>`
    + '</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>');
  // The MPF offsets count from the segment's TIFF header; the segment's length does not depend on them.
  const sized = afterLeadingSegments(primary, [xmp, mpfSegment(0, 0, 0)]);
  const tiffAt = sized.indexOf(Buffer.from('MPF\0', 'latin1')) + 4;
  const withMpf = afterLeadingSegments(primary, [xmp, mpfSegment(sized.length, gain.length, sized.length - tiffAt)]);
  return Buffer.concat([withMpf, gain]);
}

/** An AVIF of the image, as sharp's libheif and aom write it. */
export function avifOf(image: Buffer): Promise<Buffer> {
  return sharp(image).avif({ quality: 60 }).toBuffer();
}

/**
 * An iPhone-style HEIC: the AVIF's HEIF container with the major brand heic (compatible: mif1, heic,
 * miaf, as long as the AVIF's list, so that every offset in the file holds), and its item and
 * codec-configuration types renamed to HEVC's (hvc1, hvcC).
 */
export async function heicLike(image: Buffer): Promise<Buffer> {
  const heic = Buffer.from(await avifOf(image));
  const ftypLength = heic.readUInt32BE(0);
  const brands = ['mif1', 'heic', 'miaf', 'MiHE', 'MiPr', 'MiHB'].slice(0, (ftypLength - 16) / 4);
  heic.write('heic', 8, 'latin1');
  brands.forEach((brand, i) => heic.write(brand, 16 + 4 * i, 'latin1'));
  for (const [from, to] of [['av01', 'hvc1'], ['av1C', 'hvcC']] as const) {
    for (let at = heic.indexOf(from, ftypLength, 'latin1'); at >= 0; at = heic.indexOf(from, at + 4, 'latin1')) heic.write(to, at, 'latin1');
  }
  return heic;
}

/** A PNG chunk: length, type, data, CRC. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** The PNG with a cICP chunk (BT.709 primaries, full range) naming `transfer` (ITU-T H.273) after its IHDR. */
export function withCicp(png: Buffer, transfer: number): Buffer {
  const afterIhdr = 8 + 25;
  return Buffer.concat([png.subarray(0, afterIhdr), pngChunk('cICP', Buffer.from([1, transfer, 0, 1])), png.subarray(afterIhdr)]);
}

/** sRGB's decoding: a sample in [0, 255] to linear light in [0, 1]. */
function srgbToLinear(sample: number): number {
  const v = sample / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** PQ (SMPTE ST 2084): display light in [0, 1] of 10,000 cd/m2 to the signal. */
function pq(light: number): number {
  const y = light ** 0.1593017578125;
  return ((0.8359375 + 18.8515625 * y) / (1 + 18.6875 * y)) ** 78.84375;
}

/** HLG (ARIB STD-B67): scene light in [0, 1] to the signal. */
function hlg(light: number): number {
  return light <= 1 / 12 ? Math.sqrt(3 * light) : 0.17883277 * Math.log(12 * light - 0.28466892) + 0.55991073;
}

/**
 * The image as an HDR PNG of 16-bit samples, as an HDR photo is stored: its white at the reference
 * white of BT.2408 (203 cd/m2 in PQ; 75 % of the signal in HLG), named by a cICP chunk (PQ 16, HLG 18).
 */
export async function hdrPng(image: Buffer, transfer: 'PQ' | 'HLG'): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const encode = transfer === 'PQ' ? (light: number) => pq(light * 0.0203) : (light: number) => hlg(light * 0.2647);
  const table = Array.from({ length: 256 }, (_, sample) => Math.round(encode(srgbToLinear(sample)) * 65535));
  const samples = new Uint16Array(data.length); // sharp reads a Uint16Array's samples as 16-bit
  for (let i = 0; i < data.length; i++) samples[i] = table[data[i]!]!;
  const png = await sharp(samples, { raw: { width: info.width, height: info.height, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  return withCicp(png, transfer === 'PQ' ? 16 : 18);
}
