// Finds an HDR PNG: one whose cICP chunk (PNG third edition) names the PQ or HLG transfer of
// Rec. 2100. Neither libvips nor jimp reads cICP: they take the samples as sRGB, which shows an HDR
// photo with other tones than a browser does (on three selfies stored so, liveness moved by 0.04 to
// 0.39). So such a PNG is refused with a sentence saying to send SDR. Only the chunks before the
// image data are walked, by their lengths; nothing is decoded.

/** The HDR transfer a PNG's cICP chunk names. */
export type HdrTransfer = 'PQ' | 'HLG';

/** cICP transfer characteristics (ITU-T H.273): 16 is SMPTE ST 2084 (PQ), 18 is ARIB STD-B67 (HLG). */
const TRANSFERS: Readonly<Record<number, HdrTransfer>> = { 16: 'PQ', 18: 'HLG' };

/** The HDR transfer named by the PNG's cICP chunk, or null (none, SDR, or chunks that cannot be walked). */
export function pngHdrTransfer(png: Buffer): HdrTransfer | null {
  let offset = 8; // after the signature
  while (offset + 8 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT' || type === 'IEND') return null; // cICP comes before the image data
    if (type === 'cICP') return length === 4 && offset + 12 <= png.length ? TRANSFERS[png[offset + 9]!] ?? null : null;
    offset += 12 + length; // length, type, data, CRC
  }
  return null;
}

/** The refusal's sentence for an HDR PNG. */
export function pngHdrRefusal(transfer: HdrTransfer): string {
  return `The PNG is HDR (its cICP chunk names the ${transfer} transfer), which facelive would read as SDR with the wrong tones: send the photo as SDR (a JPEG, PNG or WebP in sRGB or with an ICC profile).`;
}
