// Back-pressure over real sockets: a check slot held by the shared engine with its checks held
// until the test releases them; beyond the queue the answer is 503 SERVICE_UNAVAILABLE with
// Retry-After at once; a queued request waits at most queueTimeoutMs; the per-request deadline
// answers 503 (and refunds the testing quota) while the slot stays taken until the engine is done.
// A URL image that a local server answers only when told is fetched outside the slots (a client
// that leaves meanwhile aborts its fetch), and close() lets running checks and fetches finish while
// it answers queued requests 503 (and 503 with the shutdown's Retry-After once it has disposed of the engine).

import assert from 'node:assert/strict';
import type http from 'node:http';
import net from 'node:net';
import express, { type RequestHandler } from 'express';
import type { Engine } from '../../core/engine-types';
import { type Credential, errorHandler, FaceliveMetrics, faceLiveness, type FaceLivenessOptions, type FaceLivenessRouter, MemoryQuotaStore } from '../../middleware';
import { resolveOptions } from '../../middleware/options';
import { selfieJpeg } from '../helpers/faces';
import { authHeaders, listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';

interface Answer {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly ms: number;
}

/**
 * The shared engine, its checks held while hold() is on until release(): a check slot that stays
 * taken as long as the test wants. The models run as ever once released.
 */
function holdingEngine(inner: Engine): { engine: Engine; gates: (() => void)[]; hold(): void; release(): void } {
  const gates: (() => void)[] = [];
  let holding = false;
  const engine: Engine = {
    pack: inner.pack,
    limits: inner.limits,
    failure: () => inner.failure(),
    dispose: () => Promise.resolve(),
    loadRequest: (body, options) => inner.loadRequest!(body, options),
    checkRequest: (body, context) => inner.checkRequest(body, context),
    check: async (image, options, context) => {
      if (holding) await new Promise<void>((resolve) => gates.push(resolve));
      return inner.check(image, options, context);
    },
  };
  return {
    engine,
    gates,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const go of gates.splice(0)) go();
    },
  };
}

describe('back-pressure: bounded checks in flight, bounded queue, deadline', function () {
  this.timeout(60_000);
  let engine: Engine;
  let holder: ReturnType<typeof holdingEngine>;
  let jpeg: Buffer;
  let face: string;
  let images: Listening;
  /** Requests to /held wait here until released. */
  let held: http.ServerResponse[];
  let apps: Listening[];

  before(async () => {
    const shared = await sharedEngine({ limits: { urlTimeoutMs: 3000 } });
    holder = holdingEngine(shared);
    engine = holder.engine;
    jpeg = await selfieJpeg('frontal', 160, 120);
    face = jpeg.toString('base64');
    held = [];
    images = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/held') held.push(res);
      else if (req.url === '/never') {
        // Never answers: the fetch runs into the URL budget.
      } else {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(jpeg);
      }
    });
  });

  beforeEach(() => {
    apps = [];
  });

  afterEach(async () => {
    holder.release();
    for (const res of held.splice(0)) res.destroy();
    await Promise.all(apps.map((app) => app.close()));
  });

  after(async () => {
    await images.close();
  });

  /** Serves `router` on PATH (with the error handler) on a loopback port, closed after the suite. */
  async function mount(router: RequestHandler): Promise<Listening> {
    const app = express();
    app.use(PATH, router);
    app.use(errorHandler());
    const listening = await listen(app);
    apps.push(listening);
    return listening;
  }

  async function serve(options: Partial<FaceLivenessOptions>): Promise<string> {
    const listening = await mount(faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, ...options } as FaceLivenessOptions));
    return `${listening.url}${PATH}`;
  }

  async function post(url: string, image: string, credential: Credential = LIVE): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(url, { method: 'POST', headers: { ...authHeaders(credential), 'Content-Type': 'application/json' }, body: JSON.stringify({ image }) });
    const body = (await res.json()) as { error_code: string | null };
    return { status: res.status, code: body.error_code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
  }

  /** A whole request sent on a socket of its own, left open for the test to drop. */
  function sendWhole(listening: Listening, credential: Credential, image = face): net.Socket {
    const body = JSON.stringify({ image });
    const socket = net.connect(Number(new URL(listening.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nApp-ID: ${credential.appId}\r\nAPI-Key: ${credential.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return socket;
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(condition(), 'condition not met in time');
  }

  /** Answers the held URL image requests. */
  function answerImages(): void {
    for (const res of held.splice(0)) {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(jpeg);
    }
  }

  it('defaults: one check per CPU in flight, a queue as long, 0.5 s queue wait, deadline = URL budget + 10 s', () => {
    const config = resolveOptions({ engine, auth: false }, () => Promise.reject(new Error('unused')));
    assert.ok(config.maxInFlight >= 1);
    assert.equal(config.maxQueue, config.maxInFlight);
    assert.equal(config.queueTimeoutMs, 500);
    assert.equal(config.requestTimeoutMs, engine.limits.urlTimeoutMs + 10_000);
    assert.throws(() => resolveOptions({ engine, auth: false, maxInFlight: 0 }, () => Promise.reject(new Error('unused'))), /maxInFlight/);
    assert.throws(() => resolveOptions({ engine, auth: false, maxQueue: -1 }, () => Promise.reject(new Error('unused'))), /maxQueue/);
  });

  it('beyond maxInFlight + maxQueue the answer is 503 SERVICE_UNAVAILABLE with Retry-After, at once', async () => {
    const url = await serve({ maxInFlight: 1, maxQueue: 1, queueTimeoutMs: 10_000 });
    holder.hold();
    const running = post(url, face);
    await until(() => holder.gates.length === 1);
    const queued = post(url, face);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await post(url, face);
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'SERVICE_UNAVAILABLE');
    assert.equal(refused.retryAfter, '1');
    assert.ok(refused.ms < 500, `refused after ${refused.ms} ms`);
    holder.release();
    assert.equal((await running).status, 200);
    assert.equal((await queued).status, 200, 'the queued request ran once the slot was free');
    assert.equal((await post(url, face)).status, 200);
  });

  it('a full queue answers 503 before the testing quota is looked at, even for a used-up credential; another method gets 405 even while the router shuts down', async () => {
    const spent: Credential = { appId: 'spent-testing', apiKey: 'spent-key-0123456789', mode: 'testing', quota: 0 };
    const router = faceLiveness({ engine, auth: { credentials: [LIVE, spent] }, metrics: false, maxInFlight: 1, maxQueue: 0, queueTimeoutMs: 10_000 });
    const url = `${(await mount(router)).url}${PATH}`;
    assert.equal((await post(url, face, spent)).code, 'INSUFFICIENT_QUOTA_LIVENESS', 'used up when a place is free');
    holder.hold();
    const running = post(url, face);
    await until(() => holder.gates.length === 1);
    const refused = await post(url, face, spent);
    assert.deepEqual([refused.status, refused.code], [503, 'SERVICE_UNAVAILABLE']);
    holder.release();
    assert.equal((await running).status, 200);
    // While the router shuts down, a method other than POST is still told so (405): the method comes first.
    await router.close();
    const wrongMethod = await fetch(url, { method: 'GET' });
    assert.deepEqual([wrongMethod.status, ((await wrongMethod.json()) as { error_code: string }).error_code], [405, 'METHOD_NOT_ALLOWED']);
    const draining = await post(url, face);
    assert.deepEqual([draining.status, draining.code], [503, 'SERVICE_UNAVAILABLE']);
  });

  it('a queued request waits at most queueTimeoutMs, then 503', async () => {
    const url = await serve({ maxInFlight: 1, maxQueue: 4, queueTimeoutMs: 300 });
    holder.hold();
    const running = post(url, face);
    await until(() => holder.gates.length === 1);
    const queued = await post(url, face);
    assert.equal(queued.status, 503);
    assert.equal(queued.code, 'SERVICE_UNAVAILABLE');
    assert.ok(queued.ms >= 250 && queued.ms < 1500, `answered after ${queued.ms} ms`);
    holder.release();
    assert.equal((await running).status, 200);
  });

  it('the per-request deadline answers 503, refunds the testing unit, and keeps the slot until the engine is done', async () => {
    const testing: Credential = { appId: 'deadline-testing', apiKey: 'deadline-key', mode: 'testing', quota: 5 };
    const quota = new MemoryQuotaStore();
    const listening = await mount(faceLiveness({ engine, auth: { credentials: [LIVE, testing] }, quota, metrics: false, maxInFlight: 1, maxQueue: 4, queueTimeoutMs: 10_000, requestTimeoutMs: 400 }));
    const url = `${listening.url}${PATH}`;

    holder.hold();
    const late = await post(url, face, testing);
    assert.equal(late.status, 503);
    assert.equal(late.code, 'SERVICE_UNAVAILABLE');
    assert.ok(late.ms >= 350 && late.ms < 1500, `answered after ${late.ms} ms`);
    assert.equal(quota.used(testing.appId), 0, 'a 503 is not charged');
    // The held check still takes the only slot: a second request queues past its own deadline.
    const waiting = await post(url, face);
    assert.equal(waiting.status, 503);
    // Once that check has run the slot is free again.
    holder.release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await post(url, face, testing)).status, 200);
    assert.equal(quota.used(testing.appId), 1);
  });

  it('a client that leaves while its check runs is not charged the testing unit, and is not logged as answered', async () => {
    const testing: Credential = { appId: 'leaving-testing', apiKey: 'leaving-key', mode: 'testing', quota: 1 };
    const quota = new MemoryQuotaStore();
    const lines: Record<string, unknown>[] = [];
    const listening = await mount(faceLiveness({ engine, auth: { credentials: [testing] }, quota, metrics: false, logger: (line) => lines.push(line) }));
    const url = `${listening.url}${PATH}`;

    holder.hold();
    // The whole body sent, then the connection dropped while the engine holds the check.
    const socket = sendWhole(listening, testing);
    await until(() => holder.gates.length === 1);
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.release();
    // The check ends and the request is logged once.
    await until(() => lines.length > 0);
    assert.equal(quota.used(testing.appId), 0, 'no one got the answer: not charged');
    assert.deepEqual(lines.map((line) => [line.msg, line.status]), [['liveness request abandoned: the client closed the connection during its check', undefined]]);
    // The credential's only unit is still there for a client that stays.
    assert.equal((await post(url, face, testing)).status, 200);
    assert.equal(quota.used(testing.appId), 1);
  });

  it('with auth: false, clients that leave while their checks run are counted in one summary line, not a line each', async () => {
    const lines: Record<string, unknown>[] = [];
    const listening = await mount(faceLiveness({ engine, auth: false, maxInFlight: 2, metrics: false, logger: (line) => lines.push(line) }));
    const anyone: Credential = { appId: 'anyone', apiKey: 'anyone-key', mode: 'live' };
    holder.hold();
    const sockets = [sendWhole(listening, anyone), sendWhole(listening, anyone)];
    await until(() => holder.gates.length === 2);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.release();
    await until(() => lines.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the summary's interval
    assert.deepEqual(lines.map((line) => [line.msg, line.count]), [['liveness requests abandoned by unauthenticated clients: the connection closed before the answer', 2]]);
  });

  it('a client that leaves while its request is queued is neither counted nor logged as a 503', async () => {
    const lines: Record<string, unknown>[] = [];
    const metrics = new FaceliveMetrics();
    const listening = await mount(faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics, maxInFlight: 1, maxQueue: 1, queueTimeoutMs: 10_000, logger: (line) => lines.push(line) }));
    const url = `${listening.url}${PATH}`;

    holder.hold();
    const running = post(url, face);
    await until(() => holder.gates.length === 1);
    // A whole request sent, queued behind the held check, then the connection dropped.
    const socket = sendWhole(listening, LIVE);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.release();
    assert.equal((await running).status, 200);
    await until(() => lines.length >= 2);
    const abandoned = lines.filter((line) => String(line.msg).startsWith('liveness request abandoned'));
    assert.deepEqual(abandoned.map((line) => line.msg), ['liveness request abandoned: the client closed the connection before its check ran']);
    assert.ok(!lines.some((line) => line.status === 503), JSON.stringify(lines));
    const exposition = await metrics.registry.metrics();
    // The 503 series is served from the start (at 0, for Prometheus's increase()); it must stay there.
    assert.match(exposition, /code="SERVICE_UNAVAILABLE"\} 0\n/, 'no 503 counted');
  });

  it('a URL image server that answers slowly holds no check slot; at most maxInFlight + maxQueue fetches at once', async () => {
    const url = await serve({ maxInFlight: 1, maxQueue: 0 });
    const slow = post(url, `${images.url}/held`);
    await until(() => held.length === 1);
    const meanwhile = await post(url, face);
    assert.equal(meanwhile.status, 200, 'a base64 image gets the only slot while the URL image is still arriving');
    const second = await post(url, `${images.url}/held`);
    assert.deepEqual([second.status, second.code, second.retryAfter], [503, 'SERVICE_UNAVAILABLE', '1'], 'one fetch at a time here');
    assert.ok(second.ms < 500, `refused after ${second.ms} ms`);
    answerImages();
    assert.equal((await slow).status, 200, 'the fetched image is checked');
    assert.equal((await post(url, `${images.url}/image.jpg`)).status, 200, 'the fetch ticket was handed back');
  });

  it('a client that leaves while its URL image is fetched: the fetch is aborted, its ticket handed back at once, no check run', async () => {
    const lines: Record<string, unknown>[] = [];
    const router = faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, maxInFlight: 1, maxQueue: 0, logger: (line) => lines.push(line) });
    const listening = await mount(router);
    const socket = sendWhole(listening, LIVE, `${images.url}/held`);
    await until(() => held.length === 1);
    const imageRequest = held[0]!;
    assert.equal(router.load().fetching, 1);
    const left = Date.now();
    socket.destroy();
    // Well within the URL budget (3 s here): the ticket is not held until the budget runs out.
    await until(() => router.load().fetching === 0);
    assert.ok(Date.now() - left < 1000, `the ticket came back after ${Date.now() - left} ms`);
    await until(() => imageRequest.destroyed);
    assert.deepEqual(lines.map((line) => line.msg), ['liveness request abandoned: the client closed the connection before its check ran']);
    // The only fetch ticket is free: the next URL image is fetched and checked.
    assert.equal((await post(`${listening.url}${PATH}`, `${images.url}/image.jpg`)).status, 200);
  });

  it('takes an engine written before loadRequest (checkRequest only), and hands a fetch ticket back when loadRequest throws at once', async () => {
    const shared = await sharedEngine({ limits: { urlTimeoutMs: 3000 } });
    const older: Engine = { pack: shared.pack, limits: shared.limits, failure: () => shared.failure(), dispose: () => Promise.resolve(),
      check: (image, options, context) => shared.check(image, options, context), checkRequest: (body, context) => shared.checkRequest(body, context) };
    const oldUrl = await serve({ engine: older });
    assert.equal((await post(oldUrl, face)).status, 200);
    assert.equal((await post(oldUrl, `${images.url}/image.jpg`)).status, 200);

    const throwing: Engine = { ...older, loadRequest: () => { throw new Error('refused at once'); } };
    const router = faceLiveness({ engine: throwing, auth: { credentials: [LIVE] }, metrics: false, maxInFlight: 1, maxQueue: 0 });
    const listening = await mount(router);
    for (let i = 0; i < 3; i += 1) assert.equal((await post(`${listening.url}${PATH}`, `${images.url}/image.jpg`)).status, 500);
    assert.equal(router.load().fetching, 0, 'no ticket left taken');
  });

  it('close() answers queued requests 503 and lets the running checks and the fetches under way finish', async () => {
    const router: FaceLivenessRouter = faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, maxInFlight: 1, maxQueue: 2, queueTimeoutMs: 10_000 });
    const listening = await mount(router);
    const url = `${listening.url}${PATH}`;
    holder.hold();
    const running = post(url, face);
    await until(() => holder.gates.length === 1);
    const queued = post(url, face);
    const fetching = post(url, `${images.url}/held`);
    await until(() => held.length === 1 && router.load().queued === 1);
    assert.equal(router.load().fetching, 1);
    const closing = router.close({ timeoutMs: 10_000 });
    const refused = await queued;
    assert.deepEqual([refused.status, refused.code], [503, 'SERVICE_UNAVAILABLE']);
    assert.equal((await post(url, face)).status, 503, 'new requests are refused');
    holder.release();
    answerImages();
    assert.equal((await running).status, 200, 'the running check finished');
    assert.equal((await fetching).status, 200, 'the request fetching its image got its check');
    await closing;
    assert.deepEqual([router.load().inFlight, router.load().fetching], [0, 0]);
  });

  it('a request still fetching its image when close() runs out of time and disposes of the engine gets the shutdown 503 (Retry-After: 5)', async () => {
    const router = faceLiveness({ engineOptions: { limits: { allowPrivateNetwork: true, urlTimeoutMs: 3000 } }, auth: { credentials: [LIVE] }, metrics: false });
    await router.ready();
    const listening = await mount(router);
    const fetching = post(`${listening.url}${PATH}`, `${images.url}/held`);
    await until(() => held.length === 1);
    await router.close({ timeoutMs: 200 });
    answerImages();
    const answer = await fetching;
    assert.deepEqual([answer.status, answer.code, answer.retryAfter], [503, 'SERVICE_UNAVAILABLE', '5']);
  });
});
