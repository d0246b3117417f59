// Validations -> fail mask -> FAIL_ON_n or PASS; assembles the contract's 200 body.

import type { CheckOptions } from './options';
import { qualityFails } from './checks/quality';
import type { AttributeName, AttributesResult, CheckResult, LivenessResult, QualityResult, VerdictData } from './types';

/** The fail-code bit of each validation, as the contract sums them. */
export const FAIL_BITS = { liveness: 1, attribute: 2, quality: 4, nface: 8 } as const;
export type Validation = keyof typeof FAIL_BITS;

export interface VerdictInput {
  readonly options: CheckOptions;
  readonly nface: number;
  readonly liveness?: LivenessResult;
  readonly quality?: QualityResult;
  readonly attributes?: AttributesResult;
  readonly validateAttributes: readonly AttributeName[];
}

/** The validations that fail, in bit order. */
export function failedValidations(input: VerdictInput): Validation[] {
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
export function errorCodeOf(code: number): string | null {
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
