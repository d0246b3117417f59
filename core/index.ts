// facelive's public API: createEngine(), the error table and FaceliveError, options and result types.

export { checkEngineOptions, createEngine, DEFAULT_PACK_DIR } from './engine';
export type { Engine, FaceliveEngine, EngineOptions, CheckContext, LoadedRequest, LoadOptions, PackInfo, ThresholdOverrides } from './engine-types';
export { FaceliveError, ERROR_TABLE, ERROR_CODES, isErrorCode, toFaceliveError, type ErrorCode } from './errors';
export { DEFAULT_OPTIONS, OPTION_NAMES, parseOptions, parseRequestBody, type CheckFlags, type CheckOptions } from './options';
export { DEFAULT_LIMITS, resolveLimits, type LimitOverrides, type Limits } from './limits';
export { FAIL_BITS, failCode, errorCodeOf } from './verdict';
export type { ImageInput } from './image/source';
export * from './types';
