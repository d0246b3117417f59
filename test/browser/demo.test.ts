// The demo page in a real Chromium (playwright-core; see helpers/chromium.ts for which one): upload
// a face and see a verdict with the face drawn and scored (a PASS that validated nothing says so, a
// face nface leaves out is drawn apart, the table fits a phone, a photo with an EXIF orientation is
// drawn as the server turned it); upload a non-image, a phone photo over 5 MiB or a HEIC and see its
// error code and why. In each state the page can be in, axe-core (a devDependency, injected here
// only) finds no serious or critical breach of WCAG 2.2 A or AA.
// The camera is Chromium's fake device, granted without a prompt; an init script delays
// getUserMedia as a permission prompt left open would.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AxeResults } from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import type { Engine } from '../../core/engine-types';
import { createApp, type FaceliveApp } from '../../examples/server';
import { distantBlurredSelfie, distantSelfie, selfieJpeg, storedWithOrientation, twoFaces } from '../helpers/faces';
import { listen, type Listening, sharedEngine } from '../helpers/server';
import { pendingUnlessAvailable } from '../helpers/binaries';
import { launchChromium } from '../helpers/chromium';
import { heicLike, motionPhoto } from '../helpers/phone-formats';

describe('demo page (chromium)', function () {
  this.timeout(120_000);
  let engine: Engine;
  let handle: FaceliveApp;
  let server: Listening;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    const launched = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    if (!('browser' in launched)) pendingUnlessAvailable(this, 'the demo page tests', launched);
    browser = launched.browser;
    engine = await sharedEngine();
    handle = createApp({ engine });
    await handle.liveness.ready();
    server = await listen(handle.app);
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${server.url}/`);
  });

  /**
   * A fresh page of the demo whose getUserMedia answers only after `delayMs` (the user taking that
   * long at the permission prompt) and keeps every stream it hands out in `window.streams`.
   */
  async function cameraPage(delayMs: number): Promise<Page> {
    const camera = await browser.newPage();
    camera.on('pageerror', (err) => pageErrors.push(err.message));
    await camera.addInitScript((delay) => {
      const media = navigator.mediaDevices;
      const original = media.getUserMedia.bind(media);
      const streams: MediaStream[] = [];
      (window as unknown as { streams: MediaStream[] }).streams = streams;
      media.getUserMedia = async (constraints) => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        const stream = await original(constraints);
        streams.push(stream);
        return stream;
      };
    }, delayMs);
    await camera.goto(`${server.url}/`);
    return camera;
  }

  /**
   * A fresh page of the demo where reading a picked file takes `window.readDelays[name]` ms longer
   * (a large file, a slow disk), and the image of every POST it sends is kept.
   */
  /**
   * Holds every check the page sends until release(); posts() counts those sent, and arrived() waits
   * (up to 2 s) for the first.
   */
  async function holdChecks(on: Page): Promise<{ release: () => void; posts: () => number; arrived: () => Promise<void> }> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let posts = 0;
    await on.route('**/v1/face/liveness', async (route) => {
      posts += 1;
      await held;
      await route.continue();
    });
    const arrived = async (): Promise<void> => {
      for (let i = 0; i < 100 && posts === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    return { release, posts: () => posts, arrived };
  }

  async function slowReadPage(): Promise<{ page: Page; sent: string[] }> {
    const slow = await browser.newPage();
    slow.on('pageerror', (err) => pageErrors.push(err.message));
    await slow.addInitScript(() => {
      const delays: Record<string, number> = {};
      (window as unknown as { readDelays: Record<string, number> }).readDelays = delays;
      const original = FileReader.prototype.readAsDataURL;
      FileReader.prototype.readAsDataURL = function (this: FileReader, blob: Blob) {
        setTimeout(() => original.call(this, blob), delays[(blob as File).name] ?? 0);
      };
    });
    const sent: string[] = [];
    slow.on('request', (req) => {
      if (req.method() === 'POST') sent.push((JSON.parse(req.postData() ?? '{}') as { image?: string }).image ?? '');
    });
    await slow.goto(`${server.url}/`);
    await slow.waitForFunction(() => (document.getElementById('app-id') as HTMLInputElement).value !== '');
    return { page: slow, sent };
  }

  const dataUri = (jpeg: Buffer): string => `data:image/jpeg;base64,${jpeg.toString('base64')}`;

  /** The readyState of every camera track the page was given ('live' while the camera light is on). */
  function trackStates(camera: Page): Promise<string[]> {
    return camera.evaluate(() => (window as unknown as { streams: MediaStream[] }).streams.flatMap((stream) => stream.getTracks().map((track) => track.readyState)));
  }

  after(async () => {
    await browser?.close();
    await server?.close();
    await handle?.close();
  });

  it('fills in the generated development credentials', async () => {
    await page.waitForFunction(() => (document.getElementById('app-id') as HTMLInputElement).value !== '');
    assert.equal(await page.inputValue('#app-id'), handle.devCredential?.appId);
    assert.equal(await page.inputValue('#api-key'), handle.devCredential?.apiKey);
  });

  it('may use the camera and no other device or location feature, and the browser reads the whole Permissions-Policy', async () => {
    const visitor = await browser.newPage();
    const messages: string[] = [];
    visitor.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    try {
      await visitor.goto(`${server.url}/`);
      await visitor.waitForLoadState('networkidle');
      const allowed = await visitor.evaluate(() => {
        const policy = (document as unknown as { featurePolicy: { allowsFeature(feature: string): boolean } }).featurePolicy;
        return Object.fromEntries(['camera', 'microphone', 'geolocation', 'display-capture', 'usb'].map((feature) => [feature, policy.allowsFeature(feature)]));
      });
      assert.deepEqual(allowed, { camera: true, microphone: false, geolocation: false, 'display-capture': false, usb: false });
      assert.deepEqual(messages.filter((text) => /Permissions-Policy/i.test(text)), [], 'no feature name the browser does not know');
    } finally {
      await visitor.close();
    }
  });

  it('with configured credentials, asks for them and logs no error on loading', async () => {
    const configured = createApp({ engine, credentials: [{ appId: 'app-live', apiKey: 'live-key-0123456789', mode: 'live' }] });
    const listening = await listen(configured.app);
    const visitor = await browser.newPage();
    const errors: string[] = [];
    visitor.on('pageerror', (err) => errors.push(err.message));
    visitor.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await visitor.goto(`${listening.url}/`);
      await visitor.waitForFunction(() => (document.getElementById('credential-hint')?.textContent ?? '') !== '');
      assert.equal(await visitor.textContent('#credential-hint'), 'Enter the App-ID and API-Key configured on the server.');
      assert.equal(await visitor.inputValue('#app-id'), '');
      await visitor.waitForLoadState('networkidle');
      assert.deepEqual(errors, []);
    } finally {
      await visitor.close();
      await listening.close();
      await configured.close();
    }
  });

  it('keeps a typed API-Key in the page only: not after a reload nor in a window opened from it (the App-ID stays for the tab)', async () => {
    const configured = createApp({ engine, credentials: [{ appId: 'app-live', apiKey: 'live-key-0123456789', mode: 'live' }] });
    const listening = await listen(configured.app);
    const visitor = await browser.newPage();
    visitor.on('pageerror', (err) => pageErrors.push(err.message));
    const stored = (on: Page): Promise<string> => on.evaluate(() => JSON.stringify(Object.values(sessionStorage)));
    try {
      await visitor.goto(`${listening.url}/`);
      await visitor.waitForFunction(() => (document.getElementById('credential-hint')?.textContent ?? '') !== '');
      await visitor.fill('#app-id', 'app-live');
      await visitor.fill('#api-key', 'live-key-0123456789');
      assert.doesNotMatch(await stored(visitor), /live-key/);
      const [opened] = await Promise.all([visitor.waitForEvent('popup'), visitor.evaluate(() => { window.open(location.href); })]);
      await opened.waitForLoadState();
      assert.doesNotMatch(await stored(opened), /live-key/, 'the opened window has no copy of the key');
      assert.equal(await opened.inputValue('#api-key'), '');
      await opened.close();
      await visitor.reload();
      await visitor.waitForFunction(() => (document.getElementById('credential-hint')?.textContent ?? '') !== '');
      assert.equal(await visitor.inputValue('#app-id'), 'app-live');
      assert.equal(await visitor.inputValue('#api-key'), '');
      assert.equal(await visitor.textContent('#credential-hint'), 'Enter the API-Key configured on the server: this page does not keep it when reloaded.');
    } finally {
      await visitor.close();
      await listening.close();
      await configured.close();
    }
    // The generated development pair is filled in again on a reload.
    const dev = await browser.newPage();
    try {
      await dev.goto(`${server.url}/`);
      await dev.waitForFunction(() => (document.getElementById('api-key') as HTMLInputElement).value !== '');
      await dev.reload();
      await dev.waitForFunction(() => (document.getElementById('api-key') as HTMLInputElement).value !== '');
      assert.equal(await dev.inputValue('#app-id'), handle.devCredential?.appId);
      assert.equal(await dev.inputValue('#api-key'), handle.devCredential?.apiKey);
      assert.doesNotMatch(await stored(dev), new RegExp(handle.devCredential?.apiKey ?? '-'));
    } finally {
      await dev.close();
    }
  });

  it('names each flag in words with its field name, and ties the hints to the fields they describe', async () => {
    const named = await page.$$eval('#flags input[type=checkbox]', (boxes) => boxes.map((box) => ({
      name: (box as HTMLInputElement).name,
      label: ((box as HTMLInputElement).labels?.[0]?.textContent ?? '').trim().replace(/\s+/g, ' '),
      describedBy: box.getAttribute('aria-describedby'),
    })));
    assert.equal(named.length, 7);
    for (const { name, label, describedBy } of named) {
      assert.match(label, new RegExp(`^[A-Z][a-z]+( [a-z]+)* \\(${name}\\)$`), name);
      assert.equal(await page.getByRole('checkbox', { name: label, exact: true }).count(), 1, `its accessible name is "${label}"`);
      assert.equal(describedBy, name.startsWith('validate_') ? 'flags-hint' : null, name);
    }
    for (const id of ['app-id', 'api-key']) assert.equal(await page.getAttribute(`#${id}`, 'aria-describedby'), 'credential-hint', id);
    assert.equal(await page.getByRole('textbox', { name: 'App-ID' }).getAttribute('aria-describedby'), 'credential-hint');
  });

  it('says what to change for a better photo: step back from a face that fills the picture, come closer to a small one', async () => {
    const advice = async (buffer: Buffer): Promise<{ message: string; quality: Record<string, { pass: boolean }> }> => {
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer });
      await page.click('#send');
      await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
      const raw = JSON.parse((await page.textContent('#raw')) ?? '{}');
      return { message: (await page.textContent('#message')) ?? '', quality: raw.data.quality };
    };
    const close = await advice(await selfieJpeg('right', 320, 240));
    assert.deepEqual([close.quality.framing!.pass, close.quality.face_size!.pass], [false, true]);
    assert.match(close.message, /The face fills most of the picture: step back/);
    assert.doesNotMatch(close.message, /come closer/);
    const far = await advice(await distantSelfie());
    assert.deepEqual([far.quality.framing!.pass, far.quality.face_size!.pass, far.quality.blur!.pass], [true, false, true]);
    assert.match(far.message, /The face is small in the picture: come closer to the camera\./);
    assert.doesNotMatch(far.message, /step back|blurred/);
    const farAndSoft = await advice(await distantBlurredSelfie());
    assert.deepEqual([farAndSoft.quality.face_size!.pass, farAndSoft.quality.blur!.pass], [false, false]);
    assert.match(farAndSoft.message, /The face is small in the picture, which also makes it read as blurred: come closer to the camera\./);
  });

  it('uploads a face and shows a verdict, the face box and the scores', async () => {
    const face = await selfieJpeg('right', 320, 240);
    await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: face });
    await page.click('#send');
    await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const verdict = await page.textContent('#verdict');
    assert.match(verdict ?? '', /^(PASS|FAIL_ON_\d+)$/);
    assert.equal(await page.textContent('#error-code'), '');
    const raw = JSON.parse((await page.textContent('#raw')) ?? '{}');
    assert.equal(raw.data.nface, 1);
    // The API's validate_* flags default to off; the page ticks them all, as a KYC check would.
    for (const flag of ['validate_liveness', 'validate_quality', 'validate_attribute', 'validate_nface']) {
      assert.equal(raw.data.options[flag], true, `${flag} is sent on by default`);
    }
    assert.notEqual(await page.textContent('#message'), verdict, 'the message does not repeat the badge');
    // The canvas shows the image at its size, with the primary face's box stroked in green.
    const size = await page.evaluate(() => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      return { width: canvas.width, height: canvas.height };
    });
    assert.deepEqual(size, { width: 320, height: 240 });
    const box = raw.data.faces[0].box as { x: number; y: number; width: number; height: number };
    const pixel = await page.evaluate(({ x, y }) => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(x, y, 1, 1).data);
    }, { x: Math.round(box.x + box.width / 2), y: Math.round(box.y) });
    assert.ok(pixel[1] > pixel[0] + 40 && pixel[1] > pixel[2] + 40, `expected the green box edge, got rgba(${pixel.join(',')})`);
    const rows = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.ok(rows.some((row) => row.startsWith('liveness')), rows.join('\n'));
    assert.ok(rows.some((row) => row.startsWith('quality: blur')));
    assert.ok(rows.some((row) => row.startsWith('attribute: sunglasses')));
    // Pixels and degrees with one decimal; pose with every limit that decides pose.pass, the
    // landmarks' yaw among them.
    const cells = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (cell) => cell.textContent ?? '')));
    const eyes = cells.find((row) => row[0]!.startsWith('quality: inter-eye'));
    assert.match(eyes?.[1] ?? '', /^-?\d+(\.\d)? px$/, JSON.stringify(eyes));
    const pose = cells.find((row) => row[0]!.startsWith('quality: pose'));
    assert.match(pose?.[1] ?? '', /^yaw -?\d+(\.\d)?, pitch -?\d+(\.\d)?, roll -?\d+(\.\d)?, yaw from landmarks -?\d+(\.\d)?$/, JSON.stringify(pose));
    const confirmedFrom = 2 * raw.data.quality.pose.max_yaw - raw.data.quality.pose.max_yaw_from_landmarks;
    assert.equal(pose?.[2], `|yaw| ≤ ${raw.data.quality.pose.max_yaw} (or |yaw from landmarks| ≤ ${confirmedFrom}), |pitch| ≤ ${raw.data.quality.pose.max_pitch}, |roll| ≤ ${raw.data.quality.pose.max_roll}, |yaw from landmarks| ≤ ${raw.data.quality.pose.max_yaw_from_landmarks}`);
  });

  it('with no validate_* flag ticked, says that the PASS checked nothing against a threshold', async () => {
    const ticked = ['validate_liveness', 'validate_quality', 'validate_attribute', 'validate_nface'];
    for (const flag of ticked) await page.uncheck(`#flags input[name=${flag}]`);
    try {
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await page.click('#send');
      await page.waitForFunction(() => (document.getElementById('verdict')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#verdict'), 'PASS — no validation requested');
      assert.match((await page.textContent('#message')) ?? '', /^Nothing was checked against a threshold/);
      const raw = JSON.parse((await page.textContent('#raw')) ?? '{}');
      assert.equal(raw.error_code, null);
      assert.equal(raw.data.options.validate_liveness, false);
      // A measure beyond its threshold decided nothing: it is not shown as failed.
      const results = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => (tr as HTMLTableRowElement).cells[3]?.textContent ?? ''));
      assert.ok(!results.includes('fail'), JSON.stringify(results));
    } finally {
      for (const flag of ticked) await page.check(`#flags input[name=${flag}]`);
    }
  });

  it('draws a face that nface does not count dashed grey, labelled not counted, with a legend', async () => {
    // A small face on a poster behind the user is listed, not counted.
    const user = await selfieJpeg('frontal', 640, 480);
    const poster = await selfieJpeg('right', 160, 120);
    const image = await sharp(user).composite([{ input: poster, left: 20, top: 350 }]).jpeg({ quality: 92 }).toBuffer();
    await page.evaluate(() => {
      const labels: string[] = [];
      (window as unknown as { labels: string[] }).labels = labels;
      const original = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number) {
        labels.push(text);
        original.call(this, text, x, y);
      };
    });
    await page.setInputFiles('#file', { name: 'poster.jpg', mimeType: 'image/jpeg', buffer: image });
    await page.click('#send');
    await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const raw = JSON.parse((await page.textContent('#raw')) ?? '{}');
    assert.equal(raw.data.nface, 1);
    const faces = raw.data.faces as { box: { x: number; y: number; width: number }; counted: boolean; primary: boolean }[];
    const uncounted = faces.findIndex((face) => !face.counted);
    assert.ok(uncounted >= 0, JSON.stringify(faces));
    const labels = await page.evaluate(() => (window as unknown as { labels: string[] }).labels);
    assert.match(labels.find((label) => label.startsWith(`face ${uncounted + 1} `)) ?? '', /^face \d+ · not counted · detector \d+%$/, JSON.stringify(labels));
    assert.match(labels.find((label) => label.startsWith('face 1 ')) ?? '', /^face 1 · primary · detector \d+%$/, 'the percentage is the detector score');
    // Along the top edge: grey dashes, with gaps, and nothing of a counted face's colours.
    const { box } = faces[uncounted]!;
    const edge = await page.evaluate(({ x, y, width }) => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      return Array.from({ length: Math.floor(width) - 4 }, (_, i) => Array.from(canvas.getContext('2d')!.getImageData(Math.round(x) + 2 + i, Math.round(y), 1, 1).data));
    }, { x: box.x, y: box.y, width: box.width });
    const grey = (rgba: number[]): boolean => Math.abs(rgba[0]! - 0x6e) < 20 && Math.abs(rgba[1]! - 0x77) < 20 && Math.abs(rgba[2]! - 0x81) < 20;
    const amberOrGreen = (rgba: number[]): boolean => rgba[2]! + 60 < rgba[0]! || rgba[1]! > rgba[0]! + 40;
    assert.ok(edge.filter(grey).length > edge.length / 4, 'the box is grey');
    assert.ok(edge.filter(grey).length < edge.length - 3, 'the box is dashed');
    assert.ok(!edge.some(amberOrGreen), 'not drawn as a counted face');
    assert.equal(await page.isVisible('#legend'), true);
    assert.match((await page.textContent('#legend')) ?? '', /dashed grey, a face listed but not counted/);
    const facesRow = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (cell) => cell.textContent ?? '')).find((cells) => cells[0]!.startsWith('faces')));
    assert.equal(facesRow?.[1], '1');
  });

  /** The canvas's size, and its pixels shrunk to 32x24 grey levels: enough to tell an image from itself turned. */
  async function canvasThumb(on: Page): Promise<{ width: number; height: number; grey: Buffer }> {
    const uri = await on.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).toDataURL('image/png'));
    const png = Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64');
    const { width, height } = await sharp(png).metadata();
    return { width: width ?? 0, height: height ?? 0, grey: await sharp(png).resize(32, 24, { fit: 'fill' }).greyscale().raw().toBuffer() };
  }

  /** The RGBA of one canvas pixel. */
  function canvasPixel(on: Page, x: number, y: number): Promise<number[]> {
    return on.evaluate(({ x, y }) => Array.from((document.getElementById('canvas') as HTMLCanvasElement).getContext('2d')!.getImageData(x, y, 1, 1).data), { x, y });
  }

  const isGreen = (rgba: number[]): boolean => rgba[1]! > rgba[0]! + 40 && rgba[1]! > rgba[2]! + 40;

  it('draws a photo with an EXIF orientation upright, its face box on the face: a WebP (drawn as stored by Chromium) and a JPEG (turned by Chromium itself)', async () => {
    const upright = await selfieJpeg('frontal', 640, 480);
    const checked = async (name: string, mimeType: string, buffer: Buffer) => {
      await page.setInputFiles('#file', { name, mimeType, buffer });
      await page.click('#send');
      await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
      const data = JSON.parse((await page.textContent('#raw')) ?? '{}').data as { image: { orientation: number }; faces: { box: { x: number; y: number; width: number; height: number } }[] };
      return { image: data.image, box: data.faces[0]!.box, thumb: await canvasThumb(page) };
    };
    const reference = await checked('upright.jpg', 'image/jpeg', upright);
    assert.equal(reference.image.orientation, 1);
    for (const format of ['webp', 'jpeg'] as const) {
      // Stored a quarter turn anticlockwise, with the tag that says to turn it a quarter clockwise.
      const seen = await checked(`sideways.${format}`, `image/${format}`, await storedWithOrientation(upright, format, 6));
      assert.equal(seen.image.orientation, 6, format);
      assert.deepEqual([seen.thumb.width, seen.thumb.height], [640, 480], `${format}: the canvas is the upright image's size`);
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        assert.ok(Math.abs(seen.box[key] - reference.box[key]) < 0.05 * reference.box.width, `${format}: box ${key} ${seen.box[key]} against ${reference.box[key]}`);
      }
      // The box's top edge, two pixels wide, lies across whole pixel rows or between them.
      const column = Math.round(seen.box.x + seen.box.width / 2);
      const edge = await Promise.all([-1, 0, 1].map((dy) => canvasPixel(page, column, Math.round(seen.box.y) + dy)));
      assert.ok(edge.some(isGreen), `${format}: the box edge is not green but ${edge.map((rgba) => `rgba(${rgba.join(',')})`).join(', ')}`);
      // What is drawn under the boxes is the upright photo, not the stored pixels stretched to its size.
      const difference = seen.thumb.grey.reduce((sum, level, i) => sum + Math.abs(level - reference.thumb.grey[i]!), 0) / seen.thumb.grey.length;
      assert.ok(difference < 10, `${format}: the canvas differs from the upright image's by ${difference.toFixed(1)} grey levels on average`);
    }
  });

  /** A 200 answer with one face whose box is `box`, for an image the server judged as `image`. */
  function answerFor(image: object, box: object): object {
    return {
      message: 'PASS', error_code: null, request_id: 'r',
      data: {
        status: 'PASS', fail_code: 0, validations: { requested: { liveness: true }, failed: [] }, nface: 1,
        faces: [{ box, score: 0.99, primary: true, counted: true, landmarks: [] }], image, options: {}, request_id: 'r',
      },
    };
  }

  it('draws an image as each of the eight EXIF orientations shows it, in JPEG, PNG and WebP, and its box where the answer puts it', async () => {
    // Grey, 160x120, with a blue square near its top-left corner, which the answer boxes.
    const upright = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#808080' } })
      .composite([{ input: { create: { width: 30, height: 30, channels: 3, background: '#0000ff' } }, left: 10, top: 10 }]).png().toBuffer();
    let answer: object = {};
    await page.route('**/v1/face/liveness', (route) => route.fulfill({ json: answer }));
    try {
      for (const format of ['jpeg', 'png', 'webp'] as const) {
        for (let orientation = 1; orientation <= 8; orientation += 1) {
          const what = `${format}, orientation ${orientation}`;
          answer = answerFor({ width: 160, height: 120, format, orientation }, { x: 10, y: 10, width: 30, height: 30 });
          await page.setInputFiles('#file', { name: `o${orientation}.${format}`, mimeType: `image/${format}`, buffer: await storedWithOrientation(upright, format, orientation) });
          await page.click('#send');
          await page.waitForFunction(() => document.getElementById('verdict')?.textContent === 'PASS', undefined, { timeout: 10_000 });
          assert.deepEqual(await page.evaluate(() => [(document.getElementById('canvas') as HTMLCanvasElement).width, (document.getElementById('canvas') as HTMLCanvasElement).height]), [160, 120], what);
          const inside = await canvasPixel(page, 25, 25);
          assert.ok(inside[2]! > 180 && inside[0]! < 80 && inside[1]! < 80, `${what}: the square's middle is rgba(${inside.join(',')})`);
          const across = await canvasPixel(page, 135, 95);
          assert.ok(Math.abs(across[0]! - 128) < 20 && Math.abs(across[2]! - 128) < 20, `${what}: the opposite corner is rgba(${across.join(',')})`);
          const edge = await canvasPixel(page, 25, 10);
          assert.ok(isGreen(edge), `${what}: the box's top edge is rgba(${edge.join(',')})`);
        }
      }
    } finally {
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('draws no boxes, and says why, when the browser shows the image at a size the answer does not name, either way round', async () => {
    const image = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    await page.route('**/v1/face/liveness', (route) => route.fulfill({ json: answerFor({ width: 100, height: 100, format: 'jpeg', orientation: 6 }, { x: 10, y: 10, width: 30, height: 30 }) }));
    try {
      await page.setInputFiles('#file', { name: 'other.jpg', mimeType: 'image/jpeg', buffer: image });
      await page.click('#send');
      await page.waitForFunction(() => document.getElementById('verdict')?.textContent === 'PASS', undefined, { timeout: 10_000 });
      assert.match((await page.textContent('#message')) ?? '', / The faces are not drawn: this browser shows the image at 160×120 pixels, the server judged it at 100×100 \(EXIF orientation 6\)\.$/);
      const greens = await page.evaluate(() => {
        const canvas = document.getElementById('canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 1]! > data[i]! + 40 && data[i + 1]! > data[i + 2]! + 40) count += 1;
        return count;
      });
      assert.equal(greens, 0, 'no box is drawn');
    } finally {
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('draws no face boxes of the previous answer under an error answer', async () => {
    await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
    await page.click('#send');
    await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const box = JSON.parse((await page.textContent('#raw')) ?? '{}').data.faces[0].box as { x: number; y: number; width: number; height: number };
    const edge = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y) };
    const pixel = (): Promise<number[]> => page.evaluate(({ x, y }) => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(x, y, 1, 1).data);
    }, edge);
    const green = (rgba: number[]): boolean => rgba[1]! > rgba[0]! + 40 && rgba[1]! > rgba[2]! + 40;
    assert.ok(green(await pixel()), 'the box is drawn first');
    await page.fill('#api-key', 'wrong-key');
    try {
      await page.click('#send');
      await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#error-code'), 'UNAUTHORIZED');
      const after = await pixel();
      assert.ok(!green(after), `the old box edge is still drawn: rgba(${after.join(',')})`);
    } finally {
      await page.fill('#api-key', handle.devCredential?.apiKey ?? '');
    }
  });

  it('says in the status, not only on the canvas, when the browser cannot show a file, and keeps the canvas\'s label true to what it shows', async () => {
    const fresh = await browser.newPage();
    fresh.on('pageerror', (err) => pageErrors.push(err.message));
    const label = (): Promise<string | null> => fresh.getAttribute('#canvas', 'aria-label');
    try {
      await fresh.goto(`${server.url}/`);
      await fresh.waitForFunction(() => (document.getElementById('app-id') as HTMLInputElement).value !== '');
      assert.equal(await label(), 'No image yet: take a selfie or upload a file.');
      await fresh.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are notes, not a face') });
      await fresh.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
      assert.equal(await fresh.textContent('#message'), 'The browser cannot show this file; the server will judge it.');
      assert.equal(await fresh.getAttribute('#status', 'role'), 'status', 'said in the live region');
      assert.equal(await label(), 'The browser cannot show this file; the server will judge it.');
      await fresh.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await fresh.waitForFunction(() => document.getElementById('canvas')?.getAttribute('aria-label') === 'The chosen image, with no faces drawn.', undefined, { timeout: 10_000 });
      await fresh.click('#send');
      await fresh.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
      assert.equal(await label(), 'The chosen image with 1 face drawn, each with its box, number, detector score and landmarks; the faces are listed under it.');
    } finally {
      await fresh.close();
    }
  });

  it('lets the keyboard reach and scroll the raw answer, a named region', async () => {
    await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
    await page.click('#send');
    await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.focus('summary');
    await page.keyboard.press('Enter');
    try {
      assert.equal(await page.evaluate(() => (document.querySelector('details') as HTMLDetailsElement).open), true);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'raw', 'Tab from "Raw answer" reaches the answer');
      assert.equal(await page.getAttribute('#raw', 'role'), 'region');
      assert.equal(await page.getAttribute('#raw', 'aria-label'), 'Raw answer (JSON)');
      assert.ok(await page.evaluate(() => document.getElementById('raw')!.scrollHeight > document.getElementById('raw')!.clientHeight), 'the answer is longer than its box');
      await page.keyboard.press('End');
      await page.waitForFunction(() => document.getElementById('raw')!.scrollTop > 0, undefined, { timeout: 5_000 });
    } finally {
      await page.evaluate(() => { (document.querySelector('details') as HTMLDetailsElement).open = false; });
    }
  });

  it('uploads a non-image and shows its error code', async () => {
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are notes, not a face') });
    await page.click('#send');
    await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
    assert.equal(await page.textContent('#error-code'), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.equal(await page.textContent('#verdict'), '');
  });

  it('sends a phone photo as picked, and says why one over 5 MiB (a motion photo) or a HEIC is refused', async () => {
    const still = await selfieJpeg('frontal', 4032, 3024);
    const sent: number[] = [];
    const onRequest = (req: { url(): string; postData(): string | null }) => {
      if (req.url().endsWith('/v1/face/liveness')) sent.push(req.postData()?.length ?? 0);
    };
    page.on('request', onRequest);
    try {
      const motion = motionPhoto(still, 5_000_000);
      assert.ok(motion.length > 5 * 1024 * 1024);
      const heic = await heicLike(await selfieJpeg());
      for (const [name, mimeType, buffer, code, message] of [
        ['PXL_20260101_120000000.MP.jpg', 'image/jpeg', motion, 'INVALID_PAYLOAD_IMAGE_SIZE', /larger than the limit for the largest image/],
        ['IMG_0001.HEIC', 'image/heic', heic, 'INVALID_PAYLOAD_IMAGE_FORMAT', /^The image is HEIC\b.*send a JPEG, PNG or WebP/],
      ] as const) {
        await page.setInputFiles('#file', { name, mimeType, buffer });
        await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
        await page.click('#send');
        await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 60_000 });
        assert.equal(await page.textContent('#error-code'), code, name);
        assert.match((await page.textContent('#message')) ?? '', message, name);
        // The file went as it was stored: a base64 data URI of all its bytes in the JSON body.
        assert.ok(sent.at(-1)! > Math.ceil(buffer.length / 3) * 4, `${name}: ${sent.at(-1)} characters sent`);
      }
    } finally {
      page.off('request', onRequest);
    }
  });

  it('shows UNAUTHORIZED with a wrong key', async () => {
    await page.fill('#api-key', 'wrong-key');
    await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
    await page.click('#send');
    await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
    assert.equal(await page.textContent('#error-code'), 'UNAUTHORIZED');
    assert.doesNotMatch((await page.textContent('#message')) ?? '', /reload/, 'a key typed by hand is not blamed on a restart');
  });

  it('on UNAUTHORIZED with the development pair it filled in, says to reload the page (the server restarted)', async () => {
    const stale = await browser.newPage();
    // The pair of the server's previous run, as a page loaded before a restart still holds it.
    await stale.route('**/demo-config.json', (route) => route.fulfill({ json: { appId: 'dev-0badc0de', apiKey: 'previous-run-key' } }));
    try {
      await stale.goto(`${server.url}/`);
      await stale.waitForFunction(() => (document.getElementById('app-id') as HTMLInputElement).value === 'dev-0badc0de');
      await stale.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await stale.click('#send');
      await stale.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await stale.textContent('#error-code'), 'UNAUTHORIZED');
      assert.match((await stale.textContent('#message')) ?? '', /may have restarted with new development credentials: reload the page\.$/);
    } finally {
      await stale.close();
    }
  });

  it('says plainly that the server could not be reached when the connection fails', async () => {
    await page.route('**/v1/face/liveness', (route) => route.abort('connectionrefused'));
    try {
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await page.click('#send');
      await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#error-code'), 'NETWORK_ERROR');
      assert.equal(await page.textContent('#message'), 'Could not reach the server (stopped or unreachable); try again.');
      assert.equal(await page.isDisabled('#send'), false, 'the user can try again');
    } finally {
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('says that an answer it cannot show is unexpected, not that the server could not be reached', async () => {
    // A 200 whose face has no box: drawing it fails.
    const answer = { message: 'PASS', error_code: null, request_id: 'r', data: { status: 'PASS', fail_code: 0, validations: { requested: { liveness: true }, failed: [] }, nface: 1, faces: [{ score: 0.9 }], image: { width: 320, height: 240, format: 'jpeg', orientation: 1 } } };
    await page.route('**/v1/face/liveness', (route) => route.fulfill({ json: answer }));
    try {
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await page.click('#send');
      await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#error-code'), 'UNEXPECTED_ANSWER');
      assert.equal(await page.textContent('#message'), 'The server answered, but not in the form this page expects, so the result cannot be shown; see Raw answer.');
      assert.equal(await page.textContent('#verdict'), '');
      assert.deepEqual(JSON.parse((await page.textContent('#raw')) ?? '{}'), answer);
      assert.equal(await page.isDisabled('#send'), false, 'the user can try again');
      // A body that is not JSON (a proxy's error page) came from a server too.
      await page.unroute('**/v1/face/liveness');
      await page.route('**/v1/face/liveness', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>Bad Gateway</body></html>' }));
      await page.click('#send');
      await page.waitForFunction(() => (document.getElementById('error-code')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.equal(await page.textContent('#error-code'), 'HTTP 502');
      assert.equal(await page.textContent('#message'), 'The server gave no contract body.');
    } finally {
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('drops an answer that arrives after another image was picked', async () => {
    await page.fill('#api-key', handle.devCredential?.apiKey ?? '');
    const checks = await holdChecks(page);
    try {
      await page.setInputFiles('#file', { name: 'two.jpg', mimeType: 'image/jpeg', buffer: await twoFaces() });
      await page.click('#send');
      await checks.arrived();
      const other = await selfieJpeg('right', 320, 240);
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: other });
      await page.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).width === 320);
      checks.release();
      await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled || document.getElementById('message')?.textContent !== 'Checking…');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await page.textContent('#verdict'), '', 'no verdict drawn for the new image');
      assert.equal(await page.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width), 320);
    } finally {
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('sends nothing while a newly picked file is being read, then that file', async () => {
    const { page: slow, sent } = await slowReadPage();
    try {
      const first = await selfieJpeg('right', 320, 240);
      await slow.setInputFiles('#file', { name: 'first.jpg', mimeType: 'image/jpeg', buffer: first });
      await slow.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).width === 320);
      await slow.evaluate(() => { (window as unknown as { readDelays: Record<string, number> }).readDelays['second.jpg'] = 1000; });
      const second = await selfieJpeg('right', 400, 300);
      await slow.setInputFiles('#file', { name: 'second.jpg', mimeType: 'image/jpeg', buffer: second });
      await slow.evaluate(() => (document.getElementById('send') as HTMLButtonElement).click());
      await slow.waitForTimeout(300);
      assert.equal(sent.length, 0, 'the previous image was sent for the file being read');
      assert.equal(await slow.isDisabled('#send'), true);
      await slow.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled, undefined, { timeout: 10_000 });
      await slow.click('#send');
      await slow.waitForFunction(() => (document.getElementById('verdict')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.deepEqual(sent, [dataUri(second)]);
    } finally {
      await slow.close();
    }
  });

  it('keeps "Check" off while a file picked during a check is read, also once that check answers', async () => {
    const { page: slow } = await slowReadPage();
    const checks = await holdChecks(slow);
    let answered = false;
    slow.on('requestfinished', (req) => { if (req.method() === 'POST') answered = true; });
    try {
      await slow.setInputFiles('#file', { name: 'first.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await slow.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
      await slow.click('#send');
      await slow.evaluate(() => { (window as unknown as { readDelays: Record<string, number> }).readDelays['second.jpg'] = 3000; });
      await slow.setInputFiles('#file', { name: 'second.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 400, 300) });
      checks.release();
      for (let i = 0; i < 100 && !answered; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await slow.waitForTimeout(200);
      assert.ok(answered, 'the first check answered');
      assert.equal(await slow.isDisabled('#send'), true, 'on again with no image to send');
      await slow.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled, undefined, { timeout: 10_000 });
    } finally {
      await slow.close();
    }
  });

  it('takes the file picked last as the image, also when an earlier pick is read after it', async () => {
    const { page: slow, sent } = await slowReadPage();
    try {
      await slow.evaluate(() => { (window as unknown as { readDelays: Record<string, number> }).readDelays['slow.jpg'] = 800; });
      await slow.setInputFiles('#file', { name: 'slow.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      const last = await selfieJpeg('right', 400, 300);
      await slow.setInputFiles('#file', { name: 'last.jpg', mimeType: 'image/jpeg', buffer: last });
      await slow.waitForTimeout(1200); // both reads have finished
      assert.equal(await slow.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width), 400);
      await slow.click('#send');
      await slow.waitForFunction(() => (document.getElementById('verdict')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      assert.deepEqual(sent, [dataUri(last)]);
    } finally {
      await slow.close();
    }
  });

  it('says so when a picked file cannot be read', async () => {
    const { page: slow, sent } = await slowReadPage();
    try {
      await slow.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await slow.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).width === 320);
      // A read that fails (the file was moved or deleted after it was picked).
      await slow.evaluate(() => {
        FileReader.prototype.readAsDataURL = function (this: FileReader) {
          setTimeout(() => this.dispatchEvent(new ProgressEvent('error')), 0);
        };
      });
      await slow.setInputFiles('#file', { name: 'gone.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 400, 300) });
      await slow.waitForFunction(() => (document.getElementById('image-message')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
      assert.equal(await slow.textContent('#image-message'), 'The file could not be read; pick it again.');
      assert.equal(await slow.isDisabled('#send'), true);
      assert.equal(sent.length, 0);
    } finally {
      await slow.close();
    }
  });

  it('keeps the keyboard\'s focus on Check while its check runs and after, and sends one check however often Check is pressed meanwhile', async () => {
    const checks = await holdChecks(page);
    const focused = (): Promise<string> => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
    try {
      await page.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
      await page.focus('#send');
      await page.keyboard.press('Enter');
      await checks.arrived();
      assert.equal(await focused(), 'send', 'focus stays on Check while the check runs');
      assert.equal(await page.getAttribute('#send', 'aria-disabled'), 'true', 'Check says it is busy');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Space');
      await page.waitForTimeout(200);
      checks.release();
      await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
      assert.equal(checks.posts(), 1, 'one check sent');
      assert.equal(await focused(), 'send', 'focus stays on Check once the answer is shown');
      assert.equal(await page.getAttribute('#send', 'aria-disabled'), null);
    } finally {
      checks.release();
      await page.unroute('**/v1/face/liveness');
    }
  });

  it('moves the keyboard\'s focus on to Check after "Take selfie", and says that the selfie was taken', async () => {
    const camera = await cameraPage(0);
    try {
      await camera.click('#camera-start');
      await camera.waitForFunction(() => !(document.getElementById('camera-snap') as HTMLButtonElement).disabled, undefined, { timeout: 10_000 });
      await camera.focus('#camera-snap');
      await camera.keyboard.press('Enter');
      await camera.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).width === 640, undefined, { timeout: 10_000 });
      assert.equal(await camera.evaluate(() => document.activeElement?.id || document.activeElement?.tagName), 'send');
      assert.equal(await camera.textContent('#message'), 'Selfie taken; press Check to send it.');
    } finally {
      await camera.close();
    }
  });

  it('turns the camera off after a selfie, also when "Start camera" was clicked twice while the permission prompt was open', async () => {
    const camera = await cameraPage(500);
    try {
      await camera.click('#camera-start');
      await camera.click('#camera-start');
      await camera.waitForFunction(() => !(document.getElementById('camera-snap') as HTMLButtonElement).disabled, undefined, { timeout: 10_000 });
      await camera.waitForTimeout(700); // a second request, had one been made, has been answered
      await camera.click('#camera-snap');
      const states = await trackStates(camera);
      assert.equal(states.length, 1, `one camera stream, not ${states.length}`);
      assert.deepEqual(states, ['ended']);
      assert.equal(await camera.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width), 640, 'the selfie is shown');
    } finally {
      await camera.close();
    }
  });

  it('keeps the camera off when a file is picked while the permission prompt is open', async () => {
    const camera = await cameraPage(500);
    try {
      await camera.click('#camera-start');
      await camera.setInputFiles('#file', { name: 'face.jpg', mimeType: 'image/jpeg', buffer: await selfieJpeg('right', 320, 240) });
      await camera.waitForFunction(() => (window as unknown as { streams: MediaStream[] }).streams.length > 0, undefined, { timeout: 10_000 });
      await camera.waitForTimeout(300);
      assert.deepEqual(await trackStates(camera), ['ended']);
      assert.equal(await camera.evaluate(() => (document.getElementById('video') as HTMLVideoElement).hidden), true);
      assert.equal(await camera.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width), 320, 'the file is the image');
    } finally {
      await camera.close();
    }
  });

  it('says what to do when the camera cannot be used: not allowed, none found, in use, or not offered to this page', async () => {
    const allow = "The camera is not allowed for this page: allow it in the browser's site settings (the icon at the left of the address bar), then press Start camera again, or upload a file instead.";
    const refusals = [
      ['NotAllowedError', 'Permission denied', allow],
      ['NotAllowedError', 'Permission dismissed', allow],
      ['NotFoundError', 'Requested device not found', 'No camera was found: connect one and press Start camera again, or upload a file instead.'],
      ['NotReadableError', 'Could not start video source', 'The camera could not be started: another application may be using it. Close that application and press Start camera again, or upload a file instead.'],
      ['TypeError', 'something else', 'The camera could not be started; upload a file instead.'],
    ] as const;
    // Each page's getUserMedia rejects as the browser's does, or the page has none (an insecure page, or a browser without cameras).
    const cases: { setup: string; expected: string }[] = [
      ...refusals.map(([name, message, expected]) => ({
        setup: `navigator.mediaDevices.getUserMedia = async () => { throw new DOMException(${JSON.stringify(message)}, ${JSON.stringify(name)}); };`,
        expected,
      })),
      {
        setup: "Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined });",
        expected: 'This browser offers no camera to web pages; upload a file instead.',
      },
      {
        setup: "Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined }); Object.defineProperty(window, 'isSecureContext', { get: () => false });",
        expected: 'The camera is offered only to pages opened over HTTPS or on localhost: open this page so, or upload a file instead.',
      },
    ];
    for (const { setup, expected } of cases) {
      const camera = await browser.newPage();
      camera.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await camera.addInitScript({ content: setup });
        await camera.goto(`${server.url}/`);
        await camera.click('#camera-start');
        await camera.waitForFunction(() => (document.getElementById('image-message')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
        assert.equal(await camera.textContent('#image-message'), expected, setup);
        assert.equal(await camera.isDisabled('#camera-snap'), true);
      } finally {
        await camera.close();
      }
    }
  });

  it('on a phone-sized screen, shows a face cut to its box without sideways scrolling, its framing flagged as advisory', async () => {
    // A face cut to its box fails framing, which decides no validation: flagged, not failed.
    const selfie = await selfieJpeg('frontal', 640, 480);
    const { box } = (await engine.check(selfie, { is_liveness: false, is_attribute: false, is_quality: false })).data.faces[0]!;
    const cut = await sharp(selfie).extract({ left: Math.round(box.x), top: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) }).jpeg().toBuffer();
    await page.setViewportSize({ width: 320, height: 640 });
    try {
      await page.setInputFiles('#file', { name: 'cut.jpg', mimeType: 'image/jpeg', buffer: cut });
      await page.click('#send');
      await page.waitForFunction(() => /^(PASS|FAIL_ON_\d+)$/.test(document.getElementById('verdict')?.textContent ?? ''), undefined, { timeout: 30_000 });
      await page.click('summary');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 320, `the page is ${width} px wide at a 320 px viewport`);
      // Every column is in view: the table fits its box, the result column's right edge inside it.
      const fit = await page.evaluate(() => {
        const box = document.querySelector('#scores')!.parentElement!.getBoundingClientRect();
        const cells = Array.from(document.querySelectorAll('#scores tr > :last-child'), (cell) => cell.getBoundingClientRect().right);
        return { right: box.right, cells: Math.max(...cells) };
      });
      assert.ok(fit.cells <= fit.right + 0.5, `the result column ends at ${fit.cells} px, its box at ${fit.right} px`);
      const rows = await page.$$eval('#scores tbody tr', (trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (cell) => cell.textContent ?? '')));
      const framing = rows.find((cells) => cells[0]!.startsWith('quality: framing'));
      assert.deepEqual(framing?.[3], 'flagged (advisory)', JSON.stringify(rows));
      // Only measures that decide a validation by default are ever shown as failed.
      const deciding = /^(liveness|quality: (blur|dark|colour)|attribute: (sunglasses|mask)|faces)/;
      for (const cells of rows) if (cells[3] === 'fail') assert.match(cells[0]!, deciding);
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  /** axe-core, put into the page under test only: the page itself loads nothing of it. */
  let axeSource: string | undefined;

  /** The WCAG 2.2 A and AA rules axe-core finds serious or critical on `on` as it is now, one line each. */
  async function seriousViolations(on: Page, state: string): Promise<string[]> {
    axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await on.evaluate(axeSource);
    const results = await on.evaluate(() => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      resultTypes: ['violations'],
    }));
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => `${state}: ${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  }

  it('meets WCAG 2.2 AA as axe-core checks it, and says the verdict, the faces and the camera\'s trouble in text, in every state', async () => {
    const found: string[] = [];
    const visitor = await browser.newPage();
    visitor.on('pageerror', (err) => pageErrors.push(err.message));
    const status = async (): Promise<string> => ((await visitor.textContent('[role=status]#status')) ?? '').replace(/\s+/g, ' ').trim();
    const answer = async (name: string, mimeType: string, buffer: Buffer): Promise<void> => {
      await visitor.setInputFiles('#file', { name, mimeType, buffer });
      await visitor.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
      await visitor.click('#send');
      await visitor.waitForFunction(() => /\S/.test((document.getElementById('verdict')?.textContent ?? '') + (document.getElementById('error-code')?.textContent ?? '')), undefined, { timeout: 30_000 });
    };
    try {
      await visitor.goto(`${server.url}/`);
      await visitor.waitForFunction(() => (document.getElementById('credential-hint')?.textContent ?? '') !== '');
      found.push(...await seriousViolations(visitor, 'empty'));

      await answer('face.jpg', 'image/jpeg', await selfieJpeg('frontal', 640, 480));
      assert.match(await status(), /^PASS Passed every requested validation/, 'the live region holds the verdict');
      // The drawing in words: each face, the primary one named as such, not by its colour alone.
      assert.equal(await visitor.isVisible('#faces'), true);
      assert.match((await visitor.textContent('#faces li')) ?? '', /^Face 1: the primary face .*; face detector score \d+%\.$/);
      found.push(...await seriousViolations(visitor, 'PASS'));
      // Every control in the order it is shown, by the keyboard alone, each with a visible focus indicator.
      await visitor.click('h1'); // Tab goes on from the top of the page
      const stops: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        await visitor.keyboard.press('Tab');
        const stop = await visitor.evaluate(() => {
          const element = document.activeElement as HTMLInputElement;
          const style = getComputedStyle(element);
          return { name: element.id || element.name || element.tagName.toLowerCase(), ring: element.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
        });
        if (stop.name === 'body' || stops.includes(stop.name)) break;
        assert.ok(stop.ring, `${stop.name} shows no focus indicator`);
        stops.push(stop.name);
      }
      assert.deepEqual(stops, ['a', 'app-id', 'api-key', 'camera-start', 'file', 'is_liveness', 'is_quality', 'is_attribute',
        'validate_liveness', 'validate_quality', 'validate_attribute', 'validate_nface', 'send', 'summary']);

      await answer('far.jpg', 'image/jpeg', await distantBlurredSelfie());
      assert.match(await status(), /^FAIL_ON_\d+ The face failed validation: /);
      found.push(...await seriousViolations(visitor, 'FAIL'));

      await answer('notes.txt', 'text/plain', Buffer.from('not an image'));
      assert.match(await status(), /^INVALID_PAYLOAD_IMAGE_FORMAT /);
      found.push(...await seriousViolations(visitor, 'error'));
    } finally {
      await visitor.close();
    }

    // The camera refused, or none there (getUserMedia rejects as Chromium's does): what to do, said
    // beside the camera's buttons, where the user is, and to screen readers.
    for (const [refusal, state] of [['NotAllowedError', 'camera refused'], ['NotFoundError', 'no camera']] as const) {
      const camera = await browser.newPage();
      camera.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await camera.addInitScript({ content: `navigator.mediaDevices.getUserMedia = async () => { throw new DOMException('refused', ${JSON.stringify(refusal)}); };` });
        await camera.goto(`${server.url}/`);
        await camera.focus('#camera-start');
        await camera.keyboard.press('Enter');
        const said = await camera.waitForFunction(() => Array.from(document.querySelectorAll('[role=status]'))
          .find((region) => /upload a file instead/.test(region.textContent ?? '')), undefined, { timeout: 10_000 });
        assert.equal(await said.evaluate((region) => document.getElementById('input-panel')!.contains(region as Node)), true, `${state}: said beside the camera's buttons`);
        found.push(...await seriousViolations(camera, state));
      } finally {
        await camera.close();
      }
    }
    assert.deepEqual(found, []);
  });

  it('raised no script errors', () => {
    // The 400/401 answers, the proxy's 502 and the refused connection above are logged by chromium
    // as failed resource loads; those are expected.
    const unexpected = pageErrors.filter((text) => !/status of (40[01]|502)|net::ERR_CONNECTION_REFUSED/.test(text));
    assert.deepEqual(unexpected, []);
  });
});
