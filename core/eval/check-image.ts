// What eval makes of one image's check: the engine's result, a non-response (the engine refused the
// image with a 4xx code: no face found, undecodable, too large), or the end of the run (the engine
// failed: an internal error, a model thread that exited). Rates from the images scored before a
// failure would describe a chosen subset, so a failure is never counted as a non-response.

import type { Engine } from '../engine-types';
import { FaceliveError } from '../errors';
import type { CheckOptions } from '../options';
import type { CheckResult } from '../types';
import { quote } from '../quote';

/** The engine failed while scoring the set: the run stops without a report. */
export class EngineFailureError extends Error {}

/** The engine's answer for an image, or the code it refused the image with. */
export type CheckOutcome = { readonly result: CheckResult } | { readonly refused: string };

/** Whether the engine refused the image itself (a 4xx code), as opposed to failing. */
function isRefusal(err: unknown): err is FaceliveError {
  return err instanceof FaceliveError && err.status >= 400 && err.status < 500;
}

function failureMessage(file: string, reason: string): string {
  return `The engine failed while scoring ${quote(file)}: ${reason} The run is stopped: rates from the images scored before it would leave the rest out.`;
}

/** Why a check failed, for the message: the engine's own account when it has one. */
function reasonOf(engine: Engine, err: unknown): string {
  const failure = engine.failure();
  if (failure !== undefined) return failure;
  if (!(err instanceof Error)) return 'INTERNAL_SERVER_ERROR.';
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return err instanceof FaceliveError ? `${err.code}: ${err.message}${cause}` : `${err.message}${cause}`;
}

/** Checks `image` (read from `file`); throws EngineFailureError when the engine fails or reports a failure. */
export async function checkImage(engine: Engine, image: Buffer, options: Partial<CheckOptions>, file: string): Promise<CheckOutcome> {
  let outcome: CheckOutcome;
  try {
    outcome = { result: await engine.check(image, options) };
  } catch (err) {
    if (!isRefusal(err)) throw new EngineFailureError(failureMessage(file, reasonOf(engine, err)), { cause: err });
    outcome = { refused: err.code };
  }
  // An engine that can no longer answer every check (a model thread exited) would fail some of the
  // images still to come: stop now rather than score the rest with part of the engine.
  const failure = engine.failure();
  if (failure !== undefined) throw new EngineFailureError(failureMessage(file, failure));
  return outcome;
}
