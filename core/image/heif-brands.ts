// Names the HEIF family of formats (HEIC, AVIF) from the brands of a file's first box, so that
// their refusal can say what the image is and what to send instead. iPhones take HEIC photos by
// default; facelive decodes neither HEVC nor AV1 (see docs/api.md, "Photos from phones"). Only the
// 'ftyp' box's four-letter brands are compared: nothing of the file is decoded or parsed further.

/** What a HEIF-family file holds, as its brands name it. */
export type HeifKind = 'HEIC' | 'AVIF' | 'HEIF';

/** Brands of HEVC-coded HEIF images and image sequences (ISO/IEC 23008-12, annex B). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
/** Brands of AV1-coded HEIF images and image sequences (AV1 Image File Format). */
const AVIF_BRANDS = new Set(['avif', 'avis']);
/** Brands of HEIF without naming the codec. */
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);

function kindOf(brand: string): HeifKind | null {
  if (HEIC_BRANDS.has(brand)) return 'HEIC';
  if (AVIF_BRANDS.has(brand)) return 'AVIF';
  return HEIF_BRANDS.has(brand) ? 'HEIF' : null;
}

/**
 * The HEIF-family format a file's leading 'ftyp' box names, or null for any other bytes: its major
 * brand when that names one, else the first compatible brand naming HEIC or AVIF, else HEIF.
 */
export function heifKind(bytes: Buffer): HeifKind | null {
  if (bytes.length < 16 || bytes.toString('latin1', 4, 8) !== 'ftyp') return null;
  const boxSize = bytes.readUInt32BE(0);
  if (boxSize < 16 || boxSize % 4 !== 0) return null;
  const end = Math.min(boxSize, bytes.length);
  const major = kindOf(bytes.toString('latin1', 8, 12));
  if (major !== null && major !== 'HEIF') return major;
  let found: HeifKind | null = major;
  for (let at = 16; at + 4 <= end; at += 4) {
    const kind = kindOf(bytes.toString('latin1', at, at + 4));
    if (kind === 'HEIC' || kind === 'AVIF') return kind;
    found ??= kind;
  }
  return found;
}

/** The refusal's sentence for a HEIF-family image: what it is, and what to send instead. */
export function heifRefusal(kind: HeifKind): string {
  const what = kind === 'HEIC' ? 'HEIC (HEIF with HEVC, the iPhone camera\'s default format)' : kind === 'AVIF' ? 'AVIF' : 'HEIF';
  const convert = kind === 'HEIC'
    ? 'convert it on the device (an iPhone takes JPEGs with Settings > Camera > Formats > Most Compatible)'
    : 'convert it before sending';
  return `The image is ${what}, which facelive does not decode: send a JPEG, PNG or WebP; ${convert}.`;
}
