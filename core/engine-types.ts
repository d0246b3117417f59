// The Engine's public shape: what createEngine() returns and what adapters call.

import type { LimitOverrides, Limits } from './limits';
import type { CheckFlags, CheckOptions } from './options';
import type { AttributeName, CheckResult } from './types';
import type { ImageInput } from './image/source';

/** Per-call context that adapters may pass along. */
export interface CheckContext {
  /** Echoed as data.request_id; a random UUID when absent. */
  readonly requestId?: string | undefined;
  /**
   * Liveness threshold for this check, over the engine's: one calibrated for the caller's own cameras
   * (`facelive eval --calibrate`), so that one engine serves several camera fleets. A number in [0,1].
   */
  readonly livenessThreshold?: number | undefined;
  /**
   * The pack `livenessThreshold` was calibrated on, as `name@version` (`facelive eval --calibrate`
   * prints it); only with a threshold. On any other pack the check is refused with
   * INTERNAL_SERVER_ERROR, saying so, rather than judged at a threshold that belongs to other models.
   */
  readonly livenessThresholdPack?: string | undefined;
}

/** A contract request whose image has been loaded (see Engine.loadRequest): hand both to check(). */
export interface LoadedRequest {
  /** The image's bytes (a URL image fetched, base64 decoded), not yet decoded as an image. */
  readonly image: Buffer;
  /** The request's flags, checked (types and dependency rules). */
  readonly options: CheckOptions;
}

/** What Engine.loadRequest() takes besides the body. */
export interface LoadOptions {
  /**
   * Aborting it stops the URL image's fetch under way at once (the caller has gone: a client that
   * closed its connection); loadRequest() then rejects with SERVICE_UNAVAILABLE.
   */
  readonly signal?: AbortSignal | undefined;
}

/** Threshold overrides over the pack manifest's values (each in the measure's own unit). */
export interface ThresholdOverrides {
  readonly liveness?: number | undefined;
  readonly blur?: number | undefined;
  readonly dark?: number | undefined;
  readonly grayscale?: number | undefined;
  readonly exposure?: number | undefined;
  readonly backlight?: number | undefined;
  readonly face_size?: number | undefined;
  /** Least image-to-face ratio (quality.framing). */
  readonly framing?: number | undefined;
  readonly sunglasses?: number | undefined;
  readonly mask?: number | undefined;
  readonly veil?: number | undefined;
  readonly hat?: number | undefined;
  /** Clear eyeglasses (reported only). */
  readonly eyeglasses?: number | undefined;
}

export interface EngineOptions {
  /** Model pack directory (holding manifest.json). Defaults to the built-in pack in models/. */
  readonly pack?: string | undefined;
  /** Input limits. Defaults to DEFAULT_LIMITS (5 MiB, 40 MP, 15 s, 3 redirects, no private URLs). */
  readonly limits?: LimitOverrides | undefined;
  /** Threshold overrides. Defaults to the pack's thresholds. */
  readonly thresholds?: ThresholdOverrides | undefined;
  /** Attributes that validate_attribute fails on. Defaults to ['sunglasses', 'mask']. */
  readonly validateAttributes?: readonly AttributeName[] | undefined;
  /**
   * Run each liveness model and the pose model in a worker thread of its own, beside detection,
   * landmarks, quality and attributes on the calling thread; false keeps every model on the calling
   * thread. Defaults to true, and to false where the process may use one CPU (one core, or a cgroup
   * CPU quota of at most one CPU), where the threads gain nothing and hold their own memory.
   */
  readonly workerThreads?: boolean | undefined;
  /**
   * Check a generated image once before createEngine() resolves, so that the first real check is
   * as fast as the ones after it (the first runs of onnxruntime's sessions and of the decoder are
   * several times slower). Defaults to true; false suits a process that checks one image and exits.
   */
  readonly warmUp?: boolean | undefined;
}

export interface PackInfo {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

export interface Engine {
  /** The loaded pack's name, version and directory. */
  readonly pack: PackInfo;
  /** The limits in force. */
  readonly limits: Limits;
  /**
   * Runs the whole pipeline on one image. Resolves with the contract's 200 body (PASS or FAIL_ON_n);
   * rejects only with a FaceliveError carrying a documented code.
   * @throws TypeError at once when context.livenessThreshold is not a number in [0,1].
   */
  check(image: ImageInput, options?: CheckFlags, context?: CheckContext): Promise<CheckResult>;
  /** Same, from a contract request body `{ image, is_quality, ... }` (any value; it is validated). Throws like check(). */
  checkRequest(body: unknown, context?: CheckContext): Promise<CheckResult>;
  /**
   * The part of checkRequest() that runs no model: checks the body in the contract's order and
   * loads the image (a URL fetched under the engine's limits, base64 decoded). Rejects with the
   * same codes as checkRequest() would for these steps. `check(loaded.image, loaded.options)` then
   * answers what checkRequest(body) would: a server can fetch URL images without holding a check slot.
   * Optional in the interface so that engines written before it (wrappers, doubles) still fit; the
   * engine createEngine() makes always has it. `options.signal` cancels a URL fetch under way.
   */
  loadRequest?(body: unknown, options?: LoadOptions): Promise<LoadedRequest>;
  /**
   * Undefined while the engine can answer checks; otherwise why it cannot (a model's worker thread
   * has exited, so every check fails with INTERNAL_SERVER_ERROR): a health check should report it,
   * and the cure is a new engine or a restart.
   */
  failure(): string | undefined;
  /** Refuses further checks at once, waits for the checks already running to finish, then releases the model sessions. */
  dispose(): Promise<void>;
}

/** The engine createEngine() makes: an Engine whose loadRequest() is always there. */
export interface FaceliveEngine extends Engine {
  loadRequest(body: unknown, options?: LoadOptions): Promise<LoadedRequest>;
}
