// Refusing JPEGs whose scan data stops short. libjpeg decodes such a file (cut, then closed with an
// end marker) with only a warning and fills the rest of the image with flat grey, which sharp's
// failOn 'truncated' lets through; failOn 'warning' also refuses files that decode whole, such as
// those with extraneous bytes after a scan's data that some webcams and IP cameras write.

/** libjpeg's warning (JWRN_HIT_MARKER) for scan data that ends before the image does. */
const DATA_ENDS_EARLY = 'premature end of data segment';

/** The levels of sharp's failOn that the decode is run with. */
export type FailOn = 'warning' | 'truncated';

/**
 * Decodes a JPEG refusing every libjpeg warning and, if the warning was not the data ending early,
 * again letting warnings through (the file decodes whole despite it). The first decode stops at a
 * file's first warning, so a file whose first warning is another one is not checked for short scans:
 * the caller drops the extraneous bytes between segments first (withoutExtraneousBytes), so that
 * junk libjpeg skips there cannot come first.
 */
export async function refusingShortScans<T>(decode: (failOn: FailOn) => Promise<T>): Promise<T> {
  try {
    return await decode('warning');
  } catch (err) {
    if (err instanceof Error && err.message.includes(DATA_ENDS_EARLY)) throw err;
    return decode('truncated');
  }
}
