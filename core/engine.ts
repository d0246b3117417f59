// The Engine: loads the model pack once, then runs the pipeline of DESIGN.md for each check:
// options -> image source -> decode -> faces -> landmarks -> checks -> verdict.

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { usableCpuCount } from './cpu-count';
import { FaceliveError, SHUTDOWN_RETRY_AFTER_S, toFaceliveError } from './errors';
import { checkDependencies, parseOptions, parseRequestBody, refuseUnknownOptions, type CheckFlags, type CheckOptions } from './options';
import { type Limits, resolveLimits } from './limits';
import { describeValue } from './value-kind';
import { classifyImage, loadImageBytes } from './image/source';
import { decodeImage, type DecodedImage } from './image/decode';
import { WARM_UP_OPTIONS, WARM_UP_RUNS, warmUpImage } from './warm-up';
import { boxToSent, pointToSent, readTurn, type OrientedFaces } from './faces/orientation';
import { reportedScore } from './faces/detector';
import { findFaces } from './faces/find-faces';
import { estimatePose, geometryFromPoints, locateLandmarks, type FaceGeometry } from './faces/landmarks';
import { checkLiveness } from './checks/liveness';
import { checkQuality, laplacianVariance } from './checks/quality';
import { checkAttributes } from './checks/attributes';
import { measureRegions } from './checks/regions';
import { buildResult } from './verdict';
import { modelsOfRole, readPack, type Manifest, type Pack } from './models/manifest';
import { unvalidatableAttributes } from './models/manifest-thresholds';
import { createRegistry, type Registry } from './models/registry';
import { checkThresholdPack, packId, thresholdPackMismatch } from './models/pack-id';
import { checkLivenessThreshold, checkThresholdOverrides, resolveThresholds, type ResolvedThresholds } from './thresholds';
import type { CheckContext, EngineOptions, FaceliveEngine as FaceliveEngineType, LoadedRequest, LoadOptions, PackInfo } from './engine-types';
import type { AttributeName, CheckResult, FaceResult, Point } from './types';
import { ATTRIBUTE_NAMES } from './types';

/** The built-in pack: models/ at the package root. */
export const DEFAULT_PACK_DIR = path.resolve(__dirname, '..', '..', 'models');

const ENGINE_OPTION_KEYS = ['pack', 'limits', 'thresholds', 'validateAttributes', 'workerThreads', 'warmUp'];

/** The options' own shapes and values, before the pack is read. */
function checkOptionShapes(options: EngineOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected an options object for createEngine but received ${describeValue(options)}.`);
  }
  const thresholds: unknown = options.thresholds;
  if (thresholds !== undefined && (thresholds === null || typeof thresholds !== 'object' || Array.isArray(thresholds))) {
    throw new TypeError(`Expected an object for thresholds but received ${describeValue(thresholds)}.`);
  }
  if (options.limits !== undefined) resolveLimits(options.limits); // a bad limit (or limits not an object) fails before any model loads
  for (const key of Object.keys(options)) {
    if (!ENGINE_OPTION_KEYS.includes(key)) {
      throw new TypeError(`Unknown engine option "${key}"; expected one of ${ENGINE_OPTION_KEYS.join(', ')}.`);
    }
  }
  if (options.pack !== undefined && (typeof options.pack !== 'string' || options.pack === '')) {
    throw new TypeError(`Expected a directory path for pack but received ${describeValue(options.pack)}.`);
  }
  for (const key of ['workerThreads', 'warmUp'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new TypeError(`Expected a boolean for ${key} but received ${describeValue(options[key])}.`);
    }
  }
  if (options.validateAttributes !== undefined) {
    if (!Array.isArray(options.validateAttributes) || options.validateAttributes.some((a) => !ATTRIBUTE_NAMES.includes(a))) {
      throw new TypeError(`Expected validateAttributes to list some of ${ATTRIBUTE_NAMES.join(', ')}.`);
    }
  }
}

/**
 * Checks, synchronously and without loading a model, what createEngine(options) checks first: every
 * option, the thresholds and (unless `pack: false`, for a pack that may arrive later) the pack's
 * manifest. Lets an adapter that creates its engine later (the Express middleware, the Node-RED
 * engine node) refuse bad settings at once.
 * @throws TypeError naming the first bad option (or the pack's problem).
 */
export function checkEngineOptions(options: EngineOptions = {}, check: { readonly pack?: boolean } = {}): void {
  checkOptionShapes(options);
  checkThresholdOverrides(options.thresholds);
  if (check.pack !== false) checkValidateAttributesOption(options, readPack(options.pack ?? DEFAULT_PACK_DIR));
}

/**
 * validateAttributes may name only attributes the pack's attributes model labels, as its manifest's
 * attributes.validate may (checked as the manifest is read).
 */
function checkValidateAttributesOption(options: EngineOptions, pack: Pack): void {
  const { unknown, known } = unvalidatableAttributes(pack.manifest, options.validateAttributes ?? []);
  if (unknown.length > 0) {
    throw new TypeError(`validateAttributes names ${unknown.join(', ')}, which the attributes model of pack ${pack.manifest.name} does not label; it can validate ${known.join(', ') || 'none'}.`);
  }
}

/** Everything createEngine() checks before any model loads; the pack, read. */
function preparePack(options: EngineOptions): Pack {
  checkEngineOptions(options, { pack: false });
  const pack = readPack(options.pack ?? DEFAULT_PACK_DIR);
  checkValidateAttributesOption(options, pack);
  return pack;
}

/** Faces (the largest, primary first) that get their 68 landmarks; the others are listed without. */
export const MAX_FACES_WITH_LANDMARKS = 32;

const elapsed = (since: number): number => Math.round((performance.now() - since) * 100) / 100;
const none = Promise.resolve(undefined);

/** Runs `work` and resolves with its result and the milliseconds it took. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, elapsed(started)];
}

/** The engine's options as resolved when createEngine() was called. */
interface EngineSettings {
  readonly limits: Limits;
  readonly thresholds: ResolvedThresholds;
  readonly validateAttributes: readonly AttributeName[];
}

class FaceliveEngine implements FaceliveEngineType {
  readonly pack: PackInfo;
  readonly limits;
  private readonly manifest: Manifest;
  private readonly thresholds: ResolvedThresholds;
  private readonly validateAttributes: readonly AttributeName[];
  private readonly livenessKeys: string[];
  private readonly landmarkKey: string | undefined;
  private readonly poseKey: string | undefined;
  private readonly orientationKey: string | undefined;
  private readonly attributesKey: string;
  private disposed = false;
  /** The disposal under way, which every dispose() call waits for. */
  private disposing: Promise<void> | undefined;
  /** Checks started and not yet settled: dispose() waits for them before releasing the sessions. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(loaded: Pack, private readonly registry: Registry, settings: EngineSettings) {
    this.manifest = loaded.manifest;
    this.pack = Object.freeze({ name: loaded.manifest.name, version: loaded.manifest.version, dir: loaded.dir });
    this.limits = settings.limits;
    this.thresholds = settings.thresholds;
    this.validateAttributes = settings.validateAttributes;
    this.livenessKeys = [...loaded.manifest.liveness.models];
    this.landmarkKey = modelsOfRole(loaded.manifest, 'landmarks')[0]?.[0];
    this.poseKey = modelsOfRole(loaded.manifest, 'pose')[0]?.[0];
    this.orientationKey = modelsOfRole(loaded.manifest, 'orientation')[0]?.[0];
    this.attributesKey = modelsOfRole(loaded.manifest, 'attributes')[0]![0];
  }

  checkRequest(body: unknown, context: CheckContext = {}): Promise<CheckResult> {
    const settled = checkContext(context);
    return this.track(async () => {
      this.refuseIfDisposed();
      this.refuseOtherPacksThreshold(settled);
      const { image, flags } = parseRequestBody(body);
      return this.run(image, flags, settled);
    });
  }

  async loadRequest(body: unknown, options: LoadOptions = {}): Promise<LoadedRequest> {
    try {
      this.refuseIfDisposed();
      const { image, flags } = parseRequestBody(body);
      return await this.load(image, flags, options.signal);
    } catch (err) {
      throw toFaceliveError(err);
    }
  }

  check(image: unknown, options: CheckFlags = {}, context: CheckContext = {}): Promise<CheckResult> {
    const settled = checkContext(context);
    return this.track(async () => {
      this.refuseIfDisposed();
      this.refuseOtherPacksThreshold(settled);
      refuseUnknownOptions(options);
      if (image === undefined || image === null) throw new FaceliveError('MISSING_PAYLOAD_IMAGE');
      return this.run(image, options, settled);
    });
  }

  failure(): string | undefined {
    if (this.disposed) return undefined; // disposed on purpose: not a failure to report (checks get SERVICE_UNAVAILABLE)
    return this.registry.failure()?.message;
  }

  /** Refuses new checks at once, lets the running ones finish, then releases the sessions. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.disposing ??= (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await this.registry.dispose();
    })();
    return this.disposing;
  }

  /** A disposed engine answers SERVICE_UNAVAILABLE before looking at the request: retry elsewhere, not "your request is wrong". */
  private refuseIfDisposed(): void {
    if (this.disposed) throw new FaceliveError('SERVICE_UNAVAILABLE', 'The engine was disposed (shutting down); retry on another instance.', { retryAfterS: SHUTDOWN_RETRY_AFTER_S });
  }

  /** A threshold calibrated on another pack would judge these models at a point that means nothing. */
  private refuseOtherPacksThreshold(context: CheckContext): void {
    const mismatch = thresholdPackMismatch(context.livenessThresholdPack, packId(this.pack));
    if (mismatch !== undefined) throw new FaceliveError('INTERNAL_SERVER_ERROR', mismatch);
  }

  /** Runs one check, counted as in flight (synchronously, from the call) until it settles. */
  private track(work: () => Promise<CheckResult>): Promise<CheckResult> {
    const running = work().catch((err: unknown) => {
      throw toFaceliveError(err);
    });
    this.inFlight.add(running);
    const forget = (): void => {
      this.inFlight.delete(running);
    };
    running.then(forget, forget);
    return running;
  }

  /** The steps before any model, in the contract's order: flags, the image's form, dependencies, its bytes. */
  private async load(image: unknown, flags: unknown, signal?: AbortSignal): Promise<LoadedRequest> {
    const options = parseOptions(flags, { dependencies: false });
    const classified = classifyImage(image);
    checkDependencies(options);
    return { image: await loadImageBytes(classified, this.limits, signal), options };
  }

  private async run(image: unknown, flags: unknown, context: CheckContext): Promise<CheckResult> {
    const started = performance.now();
    let t = performance.now();
    const { image: bytes, options } = await this.load(image, flags);
    const decoded = await decodeImage(bytes, this.limits.maxPixels);
    const decodeMs = elapsed(t);

    t = performance.now();
    const found = await findFaces(this.registry, this.manifest, decoded.raster);
    const detectMs = elapsed(t);
    if (found.faces.length === 0) throw new FaceliveError('FACE_NOT_DETECTED');
    return this.judgeFaces(decoded, found, options, context, { started, decodeMs, detectMs });
  }

  /**
   * Runs every model on a generated image (see warm-up.ts), through the same steps as a check and
   * WARM_UP_RUNS times, so that the first check does not pay for onnxruntime's and libvips's first runs. Called by
   * createEngine() before it resolves; the answer is dropped.
   */
  async warmUp(): Promise<void> {
    const image = await warmUpImage();
    const { face } = image;
    for (let run = 0; run < WARM_UP_RUNS; run++) {
      const decoded = await image.decode();
      const found = await findFaces(this.registry, this.manifest, decoded.raster);
      // The generated image holds no face a detector should find; where one is found, it is used.
      const faces = found.faces.length > 0 ? found : { faces: [face], raster: decoded.raster, turn: 0 as const };
      // The orientation model reads only found faces: it reads the generated one here.
      if (found.faces.length === 0 && this.orientationKey) await readTurn(this.registry.get(this.orientationKey), decoded.raster, face.box);
      await this.judgeFaces(decoded, faces, WARM_UP_OPTIONS, {}, { started: performance.now(), decodeMs: 0, detectMs: 0 });
    }
  }

  /** A check's steps after detection: landmarks, liveness, pose, quality, attributes, the answer. */
  private async judgeFaces(
    decoded: DecodedImage,
    found: OrientedFaces,
    options: CheckOptions,
    context: CheckContext,
    times: { readonly started: number; readonly decodeMs: number; readonly detectMs: number },
  ): Promise<CheckResult> {
    const { started, decodeMs, detectMs } = times;
    const { format, scale } = decoded;
    // `raster` is the decoded image, or that image turned a quarter turn when its faces were found only so.
    const { faces: detected, raster, turn } = found;
    const primary = detected[0]!;
    let t: number;

    // Liveness and pose first: their models run in worker threads (see createEngine) while this
    // thread goes on with landmarks and attributes; quality waits for the pose, the verdict for
    // liveness. Their times are from their start to their answer.
    const livenessRun = timed(() => (options.is_liveness
      ? checkLiveness(this.livenessKeys.map((k) => this.registry.get(k)), this.manifest.liveness, context.livenessThreshold ?? this.thresholds.liveness, raster, primary.box)
      : none));
    livenessRun.catch(() => undefined); // awaited below; an early failure elsewhere must not leave it unhandled
    const poseRun = timed(() => (options.is_quality && this.poseKey ? estimatePose(this.registry.get(this.poseKey), raster, primary.box) : none));
    poseRun.catch(() => undefined);
    const [geometry, landmarksMs] = await timed(() => (this.landmarkKey ? locateLandmarks(this.registry.get(this.landmarkKey), raster, primary.box) : none));

    t = performance.now();
    const attributes = options.is_attribute && geometry
      ? await checkAttributes(this.registry.get(this.attributesKey), raster, geometry, this.thresholds.attributes)
      : undefined;
    const attributesMs = elapsed(t);

    // Regions are measured on the working raster; sizes and coordinates are reported in image pixels.
    const imageGeometry = geometry && scaleGeometry(geometry, scale);
    t = performance.now();
    const regions = geometry && options.is_quality ? measureRegions(raster, primary.box, geometry) : undefined;
    // Sharpness needs no pose: measured while the pose model runs in its worker, not after it.
    const sharpness = regions ? laplacianVariance(raster, primary.box) : undefined;
    const regionsMs = elapsed(t);
    const [pose, poseMs] = await poseRun;
    t = performance.now();
    const quality = options.is_quality && geometry && regions
      ? checkQuality(raster, primary.box, imageGeometry!, pose ?? { yaw: 0, pitch: 0, roll: 0 }, regions, this.thresholds.quality, sharpness)
      : undefined;
    const qualityMs = Math.round((regionsMs + elapsed(t)) * 100) / 100;
    // The other faces' landmarks (the contract lists landmarks for every face), while liveness runs;
    // only the largest MAX_FACES_WITH_LANDMARKS, so that a photo of a crowd cannot cost a model run per face.
    const [others, othersMs] = await timed(async () => {
      const points: (readonly Point[] | undefined)[] = [];
      for (const face of detected.slice(1, MAX_FACES_WITH_LANDMARKS)) {
        points.push(this.landmarkKey ? (await locateLandmarks(this.registry.get(this.landmarkKey), raster, face.box)).points : undefined);
      }
      return points;
    });
    // Everything on this thread is done; the liveness workers have been running beside it.
    const [liveness, livenessMs] = await livenessRun;

    // Boxes and landmarks are reported in the image as sent, turned back where it was searched turned.
    const { width: sentWidth, height: sentHeight } = decoded.raster;
    const toSent = (points: readonly Point[]): Point[] =>
      points.map((p) => roundPoint(scalePoint(pointToSent(p, turn, sentWidth, sentHeight), scale)));
    const facePoints = [geometry?.points, ...others];
    const faces: FaceResult[] = detected.map((face, i) => {
      const points = facePoints[i];
      return {
        box: roundBox(scaleBox(boxToSent(face.box, turn, sentWidth, sentHeight), scale)),
        score: reportedScore(face.score),
        primary: i === 0,
        counted: face.counted,
        ...(points ? { landmarks: toSent(points) } : {}),
      };
    });

    return buildResult(
      { options, nface: detected.filter((face) => face.counted).length, liveness, quality, attributes, validateAttributes: this.validateAttributes },
      {
        faces,
        image: { width: decoded.width, height: decoded.height, format, orientation: decoded.orientation, ...(turn !== 0 ? { rotation: turn } : {}) },
        pack: { name: this.pack.name, version: this.pack.version },
        request_id: context.requestId ?? randomUUID(),
        timings_ms: {
          decode: decodeMs, detect: detectMs, landmarks: Math.round((landmarksMs + othersMs) * 100) / 100, pose: poseMs, liveness: livenessMs,
          quality: qualityMs, attributes: attributesMs, total: elapsed(started),
        },
      },
    );
  }

}

/** The longest request id a check echoes (the middleware cuts a caller's X-Request-Id to it too). */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * A caller's mistake in the context is a programming error: a TypeError at once, not a rejected check.
 * Returns a frozen copy of what was checked, each field read once, so that the check uses those
 * values even if the caller reuses and changes its object while the check runs.
 */
function checkContext(context: CheckContext): CheckContext {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new TypeError(`Expected an object for the check context but received ${describeValue(context)}.`);
  }
  const threshold: unknown = context.livenessThreshold;
  if (threshold !== undefined) checkLivenessThreshold(threshold, 'context.livenessThreshold');
  const pack: unknown = context.livenessThresholdPack;
  if (pack !== undefined) checkThresholdPack(pack, threshold, 'context');
  const id: unknown = context.requestId;
  if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH)) {
    throw new TypeError(`Expected context.requestId to be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters but received ${typeof id === 'string' ? `${id.length} characters` : describeValue(id)}.`);
  }
  return Object.freeze({
    ...(id === undefined ? {} : { requestId: id as string }),
    ...(threshold === undefined ? {} : { livenessThreshold: threshold as number }),
    ...(pack === undefined ? {} : { livenessThresholdPack: pack as string }),
  });
}

function scaleBox(box: { x: number; y: number; width: number; height: number }, scale: number) {
  return scale === 1 ? box : { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale };
}

function scalePoint(p: { x: number; y: number }, scale: number) {
  return scale === 1 ? p : { x: p.x * scale, y: p.y * scale };
}

function scaleGeometry(geometry: FaceGeometry, scale: number): FaceGeometry {
  return scale === 1 ? geometry : geometryFromPoints(geometry.points.map((p) => scalePoint(p, scale)));
}

function roundPoint(p: Point): Point {
  return { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 };
}

function roundBox(box: { x: number; y: number; width: number; height: number }) {
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
}

/**
 * Warms the engine up; a pack whose models load but cannot check an image (a model that fails when
 * run, a worker thread that exits) is a bad pack, refused at load like a corrupt one (a TypeError)
 * rather than answering INTERNAL_SERVER_ERROR to the first customer.
 */
async function warmUpOrRefuse(engine: FaceliveEngine, pack: Pack): Promise<void> {
  try {
    await engine.warmUp();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TypeError(`The models of pack ${pack.manifest.name} loaded but failed on a generated test image: ${reason}`, { cause: err });
  }
}

/**
 * Loads a model pack (the built-in one by default), verifies every model file's sha256 and creates
 * its inference sessions once. Throws a TypeError for bad options or a bad pack.
 */
export async function createEngine(options: EngineOptions = {}): Promise<FaceliveEngineType> {
  const pack = preparePack(options);
  // What was checked is what is used: resolved now, before the models load, while the caller may
  // change its objects.
  const settings: EngineSettings = {
    limits: resolveLimits(options.limits),
    thresholds: resolveThresholds(pack.manifest, options.thresholds),
    validateAttributes: Object.freeze([...(options.validateAttributes ?? pack.manifest.attributes.validate)]),
  };
  // Each liveness model and the pose model run in a worker thread of their own, beside landmarks,
  // quality and attributes on the calling thread: by default only where the process may use more
  // than one CPU, since on one the threads gain nothing and hold their own memory.
  const workerThreads = options.workerThreads ?? usableCpuCount() > 1;
  const sideModels = [...pack.manifest.liveness.models, ...modelsOfRole(pack.manifest, 'pose').map(([key]) => key)];
  const registry = await createRegistry(pack, { workers: workerThreads ? sideModels.map((key) => [key]) : [] });
  try {
    const engine = new FaceliveEngine(pack, registry, settings);
    if (options.warmUp ?? true) await warmUpOrRefuse(engine, pack);
    return engine;
  } catch (err) {
    await registry.dispose();
    throw err;
  }
}
