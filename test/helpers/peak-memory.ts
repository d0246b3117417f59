// Child-process probe for the memory test: loads the default engine, warms it up on the image,
// then runs N checks of it at once and prints the peak RSS growth those checks caused, as JSON.
// Usage: node dist/test/helpers/peak-memory.js <image file> <concurrent checks>

import { readFileSync } from 'node:fs';
import { createEngine } from '../../core';

const MIB = 1024 * 1024;

async function main(): Promise<void> {
  const [file, count] = process.argv.slice(2);
  if (!file || !count) throw new Error('usage: peak-memory <image file> <concurrent checks>');
  const image = readFileSync(file);
  const engine = await createEngine();
  const warm = await engine.check(image, { is_quality: false, is_attribute: false });
  global.gc?.();
  // resourceUsage().maxRSS is the peak since the process started (KiB): taken before and after.
  const before = process.resourceUsage().maxRSS * 1024;
  const results = await Promise.all(Array.from({ length: Number(count) }, () => engine.check(image)));
  const after = process.resourceUsage().maxRSS * 1024;
  await engine.dispose();
  process.stdout.write(`${JSON.stringify({
    image: warm.data.image,
    nface: results.map((r) => r.data.nface),
    peakBeforeMiB: Math.round(before / MIB),
    peakAfterMiB: Math.round(after / MIB),
    growthMiB: Math.round((after - before) / MIB),
  })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
