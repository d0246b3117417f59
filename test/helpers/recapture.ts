// A simulated screen replay attack, for behaviour tests of liveness: the face is shown on a screen
// (its own resolution, tone curve and colour cast, an RGB sub-pixel grid with a dark matrix, a
// bezel, the room around it) and photographed again (perspective, blur that cannot hide the grid
// from a non-integer resampling, hence moiré; sensor noise; JPEG). Deterministic for given options.

import sharp from 'sharp';

export interface RecaptureOptions {
  /** Screen pixels across the face image (its height follows the aspect). Defaults to 1000. */
  readonly screenWidth?: number;
  /** Grid cells per screen pixel side (sub-pixel stripes plus matrix). Defaults to 3. */
  readonly pitch?: number;
  /** Exponent of the screen's tone curve (> 1 darkens mid-tones). Defaults to 1.25. */
  readonly gamma?: number;
  /** Light the screen emits for black, 0..255 (screens never reach black). Defaults to 22. */
  readonly blackLevel?: number;
  /** Multipliers of R, G, B: the screen's white point. Defaults to a cool [0.92, 0.98, 1.08]. */
  readonly tint?: readonly [number, number, number];
  /** Bezel width as a fraction of the screen width. Defaults to 0.06. */
  readonly bezel?: number;
  /** Keystone of the re-photograph: how much narrower the top edge is, as a fraction. Defaults to 0.08. */
  readonly keystone?: number;
  /** Rotation of the screen in the photo, degrees (moiré needs the grid off-axis). Defaults to 2.5. */
  readonly rotation?: number;
  /** Share of the photo's width the screen spans. Defaults to 0.9. */
  readonly coverage?: number;
  /** Gaussian blur of the camera, sigma in output pixels. Defaults to 0.7. */
  readonly blur?: number;
  /** Sensor noise amplitude, 0..255. Defaults to 5. */
  readonly noise?: number;
  /** Output JPEG quality. Defaults to 88. */
  readonly quality?: number;
  /** Seed of the noise. Defaults to 1. */
  readonly seed?: number;
}

const DEFAULTS: Required<RecaptureOptions> = {
  screenWidth: 1000, pitch: 3, gamma: 1.25, blackLevel: 22, tint: [0.92, 0.98, 1.08], bezel: 0.06,
  keystone: 0.08, rotation: 2.5, coverage: 0.9, blur: 0.7, noise: 5, quality: 88, seed: 1,
};

interface Rgb {
  readonly data: Uint8Array | Float32Array;
  readonly width: number;
  readonly height: number;
}

/** Light of the screen surface at integer positions, channel c. */
interface Grid {
  readonly width: number;
  readonly height: number;
  at(x: number, y: number, c: number): number;
}

/**
 * The screen as the camera sees it up close, sampled at integer grid positions: each screen pixel
 * is a pitch x pitch cell of R, G and B stripes over a dark matrix (the last row is dark).
 */
function subpixelGrid(screen: Rgb, o: Required<RecaptureOptions>): Grid {
  const p = o.pitch;
  const stripe = Math.max(1, Math.floor(p / 3));
  // Each channel lights stripe x (p - 1) of the cell: raise it so the cell's mean light matches the
  // pixel's (values above 255 are kept; the camera integrates them before clipping).
  const gain = (p * p) / (stripe * (p - 1));
  const matrix = o.blackLevel * 0.5;
  return {
    width: screen.width * p,
    height: screen.height * p,
    at(x: number, y: number, c: number): number {
      if (y % p === p - 1 || Math.floor((x % p) / stripe) !== c) return matrix;
      return matrix + screen.data[(Math.floor(y / p) * screen.width + Math.floor(x / p)) * 3 + c]! * gain;
    },
  };
}

/** The screen's light: its tone curve, black level and white point, per channel, 0..255. */
function screenTone(face: Rgb, o: Required<RecaptureOptions>): Rgb {
  const out = new Float32Array(face.data.length);
  for (let i = 0; i < face.data.length; i++) {
    const v = face.data[i]! / 255;
    out[i] = Math.min(255, o.blackLevel + (255 - o.blackLevel) * Math.pow(v, o.gamma) * o.tint[i % 3]!);
  }
  return { data: out, width: face.width, height: face.height };
}

/** Solves the 3x3 homography (h33 = 1) mapping four source points to four destination points. */
function homography(from: readonly [number, number][], to: readonly [number, number][]): number[] {
  const a: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  }
  // Gaussian elimination with partial pivoting.
  const n = 8;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k < n; k++) a[r]![k]! -= f * a[col]![k]!;
      b[r]! -= f * b[col]!;
    }
  }
  return [...b.map((value, i) => value / a[i]![i]!), 1];
}

/** A tiny deterministic random source. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

/**
 * The photo of the screen: a room-coloured frame, the bezel, and the grid seen through a
 * perspective (keystone and a slight rotation), sampled bilinearly at the camera's resolution.
 */
function photograph(grid: Grid, outWidth: number, outHeight: number, o: Required<RecaptureOptions>): Uint8Array {
  const screenW = outWidth * o.coverage;
  const screenH = screenW * (grid.height / grid.width);
  const cx = outWidth / 2;
  const cy = outHeight / 2;
  const angle = (o.rotation * Math.PI) / 180;
  const corner = (x: number, y: number): [number, number] => [cx + x * Math.cos(angle) - y * Math.sin(angle), cy + x * Math.sin(angle) + y * Math.cos(angle)];
  const topHalf = (screenW / 2) * (1 - o.keystone);
  const quad: [number, number][] = [corner(-topHalf, -screenH / 2), corner(topHalf, -screenH / 2), corner(screenW / 2, screenH / 2), corner(-screenW / 2, screenH / 2)];
  // Inverse map: photo pixel -> grid pixel.
  const h = homography(quad, [[0, 0], [grid.width, 0], [grid.width, grid.height], [0, grid.height]]);
  const bezelPx = o.bezel * grid.width;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const room = [128, 112, 96];
  const bezelColour = [18, 18, 20];
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const w = h[6]! * x + h[7]! * y + h[8]!;
      const gx = (h[0]! * x + h[1]! * y + h[2]!) / w;
      const gy = (h[3]! * x + h[4]! * y + h[5]!) / w;
      const o3 = (y * outWidth + x) * 3;
      const inside = gx >= 0 && gy >= 0 && gx <= grid.width - 1 && gy <= grid.height - 1;
      if (!inside) {
        const onBezel = gx >= -bezelPx && gy >= -bezelPx && gx <= grid.width + bezelPx && gy <= grid.height + bezelPx;
        const colour = onBezel ? bezelColour : room;
        const shade = onBezel ? 1 : 0.85 + 0.15 * (y / outHeight);
        for (let c = 0; c < 3; c++) out[o3 + c] = Math.round(colour[c]! * shade);
        continue;
      }
      // The sensor pixel integrates its area: 3x3 point samples of the grid, then clipping.
      const sum = [0, 0, 0];
      for (let sy = 0; sy < 3; sy++) {
        for (let sx = 0; sx < 3; sx++) {
          const px = x + (sx - 1) / 3;
          const py = y + (sy - 1) / 3;
          const ws = h[6]! * px + h[7]! * py + h[8]!;
          const ix = Math.max(0, Math.min(grid.width - 1, Math.round((h[0]! * px + h[1]! * py + h[2]!) / ws)));
          const iy = Math.max(0, Math.min(grid.height - 1, Math.round((h[3]! * px + h[4]! * py + h[5]!) / ws)));
          for (let c = 0; c < 3; c++) sum[c]! += grid.at(ix, iy, c);
        }
      }
      for (let c = 0; c < 3; c++) out[o3 + c] = Math.max(0, Math.min(255, Math.round(sum[c]! / 9)));
    }
  }
  return out;
}

/**
 * The face image (any format sharp reads) replayed on a simulated screen and photographed again,
 * as a JPEG of the same size as the input.
 */
export async function recapture(image: Buffer, options: RecaptureOptions = {}): Promise<Buffer> {
  const o: Required<RecaptureOptions> = { ...DEFAULTS, ...options };
  const meta = await sharp(image).metadata();
  const outWidth = meta.width ?? 640;
  const outHeight = meta.height ?? 480;
  const screenHeight = Math.round((o.screenWidth * outHeight) / outWidth);
  const shown = await sharp(image).removeAlpha().resize(o.screenWidth, screenHeight, { fit: 'fill' }).raw().toBuffer();
  const screen = screenTone({ data: new Uint8Array(shown), width: o.screenWidth, height: screenHeight }, o);
  const photo = photograph(subpixelGrid(screen, o), outWidth, outHeight, o);
  const rnd = random(o.seed);
  for (let i = 0; i < photo.length; i++) {
    const n = (rnd() + rnd() + rnd() - 1.5) * o.noise;
    photo[i] = Math.max(0, Math.min(255, Math.round(photo[i]! + n)));
  }
  let camera = sharp(Buffer.from(photo), { raw: { width: outWidth, height: outHeight, channels: 3 } });
  if (o.blur >= 0.3) camera = camera.blur(o.blur);
  return camera.jpeg({ quality: o.quality }).toBuffer();
}
