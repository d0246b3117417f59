// Types for exif-parser (the package ships none): the one call decode.ts makes, reading the
// orientation jimp applies with the same parser.

declare module 'exif-parser' {
  interface ExifResult {
    /** IFD0's and the EXIF IFD's tags by name, e.g. Orientation (1 to 8). */
    readonly tags?: Record<string, unknown>;
  }
  interface Parser {
    parse(): ExifResult;
  }
  const ExifParser: {
    /** A parser over a JPEG's (or TIFF's) bytes; parse() throws on bytes it cannot read. */
    create(buffer: Buffer): Parser;
  };
  export default ExifParser;
}
