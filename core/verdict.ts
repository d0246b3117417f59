// Validations -> fail mask -> FAIL_ON_n or PASS; assembles the contract's 200 body.

import type { CheckOptions } from './options';
import { qualityFails } from './checks/quality';
import type { AttributeName, AttributesResult, CheckResult, LivenessResult, QualityResult, VerdictData } from './types';

/** The fail-code bit of each validation, as the contract sums them. */
export const FAIL_BITS = Object.freeze({ liveness: 1, attribute: 2, quality: 4, nface: 8 } as const);
export type Validation = keyof typeof FAIL_BITS;

export interface VerdictInput {
  readonly options: CheckOptions;
  readonly nface: number;
  readonly liveness?: LivenessResult;
  readonly quality?: QualityResult;
  readonly attributes?: AttributesResult;
  readonly validateAttributes: readonly AttributeName[];
}

/**
 * A requested validation whose section was not computed must not pass silently: that is a bug in
 * the engine or the pack, answered as INTERNAL_SERVER_ERROR, never as PASS.
 */
function assertEvaluated(input: VerdictInput): void {
  const { options } = input;
  const missing = [
    options.validate_liveness && !input.liveness ? 'liveness' : null,
    options.validate_attribute && !input.attributes ? 'attribute' : null,
    options.validate_quality && !input.quality ? 'quality' : null,
  ].filter((name): name is string => name !== null);
  if (missing.length > 0) throw new Error(`Requested validations were not evaluated: ${missing.join(', ')}.`);
}

/** The validations that fail, in bit order. Throws when a requested validation was not evaluated. */
export function failedValidations(input: VerdictInput): Validation[] {
  assertEvaluated(input);
  const { options } = input;
  const failed: Validation[] = [];
  if (options.validate_liveness && input.liveness && !input.liveness.is_live) failed.push('liveness');
  if (options.validate_attribute && input.attributes) {
    const attributes = input.attributes;
    if (input.validateAttributes.some((name) => attributes[name].detected)) failed.push('attribute');
  }
  if (options.validate_quality && input.quality && qualityFails(input.quality)) failed.push('quality');
  if (options.validate_nface && input.nface > 1) failed.push('nface');
  return failed;
}

export function failCode(failed: readonly Validation[]): number {
  return failed.reduce((sum, name) => sum + FAIL_BITS[name], 0);
}

/** 'FAIL_ON_n' for n > 0, null for PASS. */
export function errorCodeOf(code: number): `FAIL_ON_${number}` | null {
  return code === 0 ? null : `FAIL_ON_${code}`;
}

export function buildResult(
  input: VerdictInput,
  rest: Omit<VerdictData, 'status' | 'fail_code' | 'validations' | 'nface' | 'liveness' | 'quality' | 'attributes' | 'options'>,
): CheckResult {
  const failed = failedValidations(input);
  const code = failCode(failed);
  const { options } = input;
  const data: VerdictData = {
    status: code === 0 ? 'PASS' : 'FAIL',
    fail_code: code,
    validations: {
      requested: {
        liveness: options.validate_liveness,
        attribute: options.validate_attribute,
        quality: options.validate_quality,
        nface: options.validate_nface,
      },
      failed,
    },
    nface: input.nface,
    ...rest,
    ...(input.liveness ? { liveness: input.liveness } : {}),
    ...(input.quality ? { quality: input.quality } : {}),
    ...(input.attributes ? { attributes: input.attributes } : {}),
    options,
  };
  return {
    message: code === 0 ? 'PASS' : `The face failed validation: ${failed.join(', ')}.`,
    error_code: errorCodeOf(code),
    data,
  };
}
