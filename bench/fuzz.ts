// npm run fuzz — mutated images and request bodies against the service (a child process on
// loopback), from a fixed seed: bit-flipped, truncated, spliced and re-headered JPEG/PNG/WebP sent
// as base64, data URIs and multipart files; bodies with wrong types, broken JSON, odd encodings,
// hostile URLs and header mutations. Passes when no answer is a 500 (or outside the contract's
// statuses) and the service never crashes. Bounded in count (--count, default 10000) and time
// (--minutes, default 20). Options: --seed=N --concurrency=N.

import sharp from 'sharp';
import { landscapeJpeg, selfieJpeg } from '../test/helpers/faces';
import { seededRandom } from '../models/train/seeded-random';
import { harnessArgs } from './options';
import { startService } from './service';

const USAGE = `Usage: npm run fuzz [-- options]

Mutated images and request bodies against the service; passes when no answer is a 500 (or outside
the contract's statuses) and the service never crashes.
  --count=N        requests at most (default 10000)
  --minutes=N      minutes at most (default 20)
  --seed=N         seed of the mutations (default 1)
  --concurrency=N  requests at a time (default 4)
  -h, --help       show this help
`;

const DOCUMENTED = new Set([200, 400, 401, 403, 429, 503]);
const CREDENTIAL = { appId: 'fuzz', apiKey: 'fuzz-key-0123456789', mode: 'live' as const };
const TESTING = { appId: 'fuzz-testing', apiKey: 'fuzz-testing-key', mode: 'testing' as const, quota: 1_000_000 };

interface Sample {
  readonly kind: string;
  readonly headers: Record<string, string>;
  readonly body: string | FormData;
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

/** One mutation of an image's bytes. */
function mutateImage(random: Random, seed: Buffer, seeds: readonly Buffer[]): { name: string; bytes: Buffer } {
  const bytes = Buffer.from(seed);
  const op = int(random, 0, 8);
  switch (op) {
    case 0: {
      const flips = int(random, 1, 32);
      for (let i = 0; i < flips; i += 1) {
        const at = int(random, 0, bytes.length - 1);
        bytes[at] ^= 1 << int(random, 0, 7);
      }
      return { name: 'bit-flips', bytes };
    }
    case 1:
      return { name: 'truncated', bytes: bytes.subarray(0, int(random, 0, bytes.length - 1)) };
    case 2: {
      const at = int(random, 0, Math.min(bytes.length - 1, 600));
      const run = int(random, 1, 64);
      bytes.fill(pick(random, [0x00, 0xff, 0x7f]), at, Math.min(bytes.length, at + run));
      return { name: 'header-overwrite', bytes };
    }
    case 3: {
      const other = pick(random, seeds);
      const cut = int(random, 1, Math.min(bytes.length, other.length) - 1);
      return { name: 'spliced', bytes: Buffer.concat([bytes.subarray(0, cut), other.subarray(cut)]) };
    }
    case 4: {
      const at = int(random, 0, bytes.length);
      return { name: 'inserted-junk', bytes: Buffer.concat([bytes.subarray(0, at), randomBytesFrom(random, int(random, 1, 4096)), bytes.subarray(at)]) };
    }
    case 5: {
      // A header claiming huge dimensions (JPEG SOF0 or PNG IHDR) over the real data.
      const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
      if (sof >= 0 && sof + 9 < bytes.length) {
        bytes.writeUInt16BE(int(random, 0, 65535), sof + 5);
        bytes.writeUInt16BE(int(random, 0, 65535), sof + 7);
      }
      const ihdr = bytes.indexOf('IHDR');
      if (ihdr >= 0 && ihdr + 12 < bytes.length) {
        bytes.writeUInt32BE(int(random, 0, 0x7fffffff), ihdr + 4);
        bytes.writeUInt32BE(int(random, 0, 0x7fffffff), ihdr + 8);
      }
      return { name: 'huge-dimensions', bytes };
    }
    case 6: {
      const repeat = int(random, 2, 6);
      return { name: 'repeated', bytes: Buffer.concat(Array.from({ length: repeat }, () => bytes)) };
    }
    case 7:
      return { name: 'random-bytes', bytes: randomBytesFrom(random, int(random, 0, 20_000)) };
    default: {
      // Magic of one format, body of another.
      const magic = pick(random, [Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('RIFF\0\0\0\0WEBP'), Buffer.from('GIF89a')]);
      return { name: 'wrong-magic', bytes: Buffer.concat([magic, bytes.subarray(magic.length)]) };
    }
  }
}

function randomBytesFrom(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) out[i] = Math.floor(random() * 256);
  return out;
}

const json = { 'content-type': 'application/json' };

/** A body mutation: wrong types, broken JSON, hostile URLs, odd encodings. */
function mutateBody(random: Random, good: string, auth: Record<string, string>): Sample {
  const flags = ['is_quality', 'is_attribute', 'is_liveness', 'validate_quality', 'validate_attribute', 'validate_liveness', 'validate_nface'];
  const oddValues: unknown[] = [null, 0, 1, -1, 1e308, '', 'true', 'false', [], {}, [true], { $gt: 1 }, 'x'.repeat(1000), true, false];
  const op = int(random, 0, 13);
  switch (op) {
    case 0:
      return { kind: 'image-wrong-type', headers: { ...auth, ...json }, body: JSON.stringify({ image: pick(random, oddValues) }) };
    case 1: {
      const body: Record<string, unknown> = { image: good };
      for (const flag of flags) if (random() < 0.5) body[flag] = pick(random, oddValues);
      return { kind: 'flags-wrong-type-or-combination', headers: { ...auth, ...json }, body: JSON.stringify(body) };
    }
    case 2: {
      const text = JSON.stringify({ image: good, is_liveness: true });
      return { kind: 'broken-json', headers: { ...auth, ...json }, body: text.slice(0, int(random, 0, text.length - 1)) };
    }
    case 3:
      return { kind: 'non-object-json', headers: { ...auth, ...json }, body: pick(random, ['[]', '"image"', '42', 'null', 'true', '[{"image":"x"}]', '']) };
    case 4: {
      const url = pick(random, [
        'http://127.0.0.1/x.jpg',
        'http://[::1]/x.jpg',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.1/a.png',
        'http://localhost:1/x',
        'file:///etc/passwd',
        'ftp://example.com/x.jpg',
        'gopher://127.0.0.1:6379/_PING',
        'http://0x7f000001/',
        'http://[::ffff:127.0.0.1]/',
        'https://',
        'http://%zz/',
        'data:text/html;base64,PGh0bWw+',
        'data:image/png,notbase64',
      ]);
      return { kind: 'hostile-url', headers: { ...auth, ...json }, body: JSON.stringify({ image: url }) };
    }
    case 5: {
      const chars = good.split('');
      const edits = int(random, 1, 20);
      for (let i = 0; i < edits; i += 1) chars[int(random, 0, chars.length - 1)] = pick(random, ['!', '=', ' ', '\n', '-', '_', '\u00e9', '\u0000', '%']);
      return { kind: 'base64-corrupted', headers: { ...auth, ...json }, body: JSON.stringify({ image: chars.join('') }) };
    }
    case 6:
      return { kind: 'wrong-content-type', headers: { ...auth, 'content-type': pick(random, ['text/plain', 'application/x-www-form-urlencoded', 'image/jpeg', 'multipart/form-data', 'application/json; charset=utf-16']) }, body: JSON.stringify({ image: good }) };
    case 7: {
      let nested = '"x"';
      const depth = int(random, 10, 5000);
      for (let i = 0; i < depth; i += 1) nested = `{"a":${nested}}`;
      return { kind: 'deep-json', headers: { ...auth, ...json }, body: `{"image":${nested}}` };
    }
    case 8:
      return { kind: 'prototype-keys', headers: { ...auth, ...json }, body: `{"__proto__":{"is_liveness":false},"constructor":{"prototype":{"x":1}},"image":${JSON.stringify(good)}}` };
    case 9: {
      const headers: Record<string, string> = { ...json };
      const choice = int(random, 0, 3);
      if (choice === 0) headers['App-ID'] = auth['App-ID'];
      else if (choice === 1) Object.assign(headers, { 'App-ID': auth['App-ID'], 'API-Key': 'x'.repeat(int(random, 1, 4000)) });
      else if (choice === 2) Object.assign(headers, { 'App-ID': 'nobody', 'API-Key': auth['API-Key'] });
      return { kind: 'auth-mutated', headers, body: JSON.stringify({ image: good }) };
    }
    case 10:
      return { kind: 'oversized-string', headers: { ...auth, ...json }, body: JSON.stringify({ image: 'A'.repeat(int(random, 5, 8) * 1024 * 1024) }) };
    case 11:
      return { kind: 'duplicate-keys', headers: { ...auth, ...json }, body: `{"image":1,"image":${JSON.stringify(good)},"is_quality":true,"is_quality":"no"}` };
    case 12: {
      const form = new FormData();
      if (random() < 0.5) form.append('image', good);
      else form.append('other', new Blob([new Uint8Array(randomBytesFrom(random, 100))]), 'x.bin');
      for (const flag of flags) if (random() < 0.3) form.append(flag, pick(random, ['true', 'false', 'yes', '', '1']));
      return { kind: 'multipart-mutated', headers: auth, body: form };
    }
    default:
      return { kind: 'unicode-junk', headers: { ...auth, ...json }, body: JSON.stringify({ image: '\u202e\ud83d\ude00'.repeat(int(random, 1, 500)) }) };
  }
}

async function main(): Promise<void> {
  // An empty run (no requests, no time, no worker) would pass having tested nothing: refused.
  const { numbers } = harnessArgs('fuzz', {
    usage: USAGE,
    numbers: {
      count: { fallback: 10_000, min: 1, integer: true },
      minutes: { fallback: 20, min: 0, aboveMin: true },
      seed: { fallback: 1, min: 0, integer: true },
      concurrency: { fallback: 4, min: 1, integer: true },
    },
  });
  const count = numbers.count!;
  const minutes = numbers.minutes!;
  const seed = numbers.seed!;
  const concurrency = numbers.concurrency!;
  const random = seededRandom(seed);

  const service = await startService({
    credentials: [CREDENTIAL, TESTING],
    authFailures: false,
    maxQueue: concurrency * 4,
    queueTimeoutMs: 60_000,
    limits: { urlTimeoutMs: 2000 },
  });
  const auth = { 'App-ID': CREDENTIAL.appId, 'API-Key': CREDENTIAL.apiKey };
  const testingAuth = { 'App-ID': TESTING.appId, 'API-Key': TESTING.apiKey };

  const jpeg = await selfieJpeg('frontal', 160, 120);
  const seeds = [
    jpeg,
    await selfieJpeg('right', 96, 72),
    await landscapeJpeg(120, 90),
    await sharp(jpeg).png().toBuffer(),
    await sharp(jpeg).webp().toBuffer(),
    await sharp(jpeg).jpeg({ progressive: true }).toBuffer(),
  ];
  const good = jpeg.toString('base64');

  const next = (): Sample => {
    const headers = random() < 0.1 ? testingAuth : auth;
    if (random() < 0.55) {
      const { name, bytes } = mutateImage(random, pick(random, seeds), seeds);
      const encoding = int(random, 0, 3);
      if (encoding === 0) return { kind: `image:${name}:base64`, headers: { ...headers, ...json }, body: JSON.stringify({ image: bytes.toString('base64') }) };
      if (encoding === 1) {
        const type = pick(random, ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf']);
        return { kind: `image:${name}:data-uri`, headers: { ...headers, ...json }, body: JSON.stringify({ image: `data:${type};base64,${bytes.toString('base64')}` }) };
      }
      if (encoding === 2) return { kind: `image:${name}:base64url`, headers: { ...headers, ...json }, body: JSON.stringify({ image: bytes.toString('base64url') }) };
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)]), 'selfie.jpg');
      return { kind: `image:${name}:multipart`, headers, body: form };
    }
    return mutateBody(random, good, headers);
  };

  const byStatus = new Map<number, number>();
  const failures: { kind: string; status: number; body: string }[] = [];
  let sent = 0;
  let answered = 0;
  let images = 0;
  let transportErrors = 0;
  const started = Date.now();
  const deadline = started + minutes * 60_000;

  const worker = async (): Promise<void> => {
    while (sent < count && Date.now() < deadline && service.alive()) {
      sent += 1;
      const sample = next();
      if (sample.kind.startsWith('image:')) images += 1;
      try {
        const res = await fetch(`${service.base}/v1/face/liveness`, { method: 'POST', headers: sample.headers, body: sample.body });
        const text = await res.text();
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        if (!DOCUMENTED.has(res.status) && failures.length < 20) failures.push({ kind: sample.kind, status: res.status, body: text.slice(0, 300) });
      } catch {
        transportErrors += 1;
      }
      answered += 1;
      if (answered % 1000 === 0) process.stdout.write(`  ${answered} answered, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  };
  console.log(`facelive fuzz — seed ${seed}, up to ${count} requests or ${minutes} min, ${concurrency} at a time, service on ${service.base}`);
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const alive = service.alive();
  const health = alive ? (await fetch(`${service.base}/healthz`)).status : 0;
  const exitCode = await service.stop();
  const seconds = (Date.now() - started) / 1000;

  const statuses = [...byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${n}`).join(', ');
  console.log(`\n${sent} requests (${images} mutated images, ${sent - images} mutated bodies/headers) in ${seconds.toFixed(0)} s`);
  console.log(`answers by status: ${statuses}; transport errors: ${transportErrors}`);
  console.log(`500s or undocumented statuses: ${failures.length}; service crashed: ${alive ? 'no' : 'YES'}; /healthz after: ${health}; exit code on SIGTERM: ${String(exitCode)}`);
  for (const failure of failures) console.log(`  ${failure.kind} -> ${failure.status} ${failure.body}`);
  if (!alive) console.log(service.output().slice(-3000));
  // A run that sent nothing (a deadline reached before the first request) tested nothing.
  const ok = answered > 0 && failures.length === 0 && alive && health === 200 && exitCode === 0 && transportErrors === 0;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
