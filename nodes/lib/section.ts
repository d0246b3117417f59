// The validate nodes' input: one section (quality or attributes) of a check result, reused from an
// upstream facelive-detect result on the message when it holds it, else computed by the engine.

import { FaceliveError } from '../../core/errors';
import type { AttributesResult, QualityResult } from '../../core/types';
import { checkRequestBody, type EngineAccess } from './engine-ref';
import { readMessageProperty } from './message-property';
import type { NodeAPI, NodeMessage } from './red';
import { buildRequest, type FlagOverrides } from './request';

export interface Sections {
  quality: QualityResult;
  attributes: AttributesResult;
}

/** Flags that compute only the wanted section and validate nothing, so no verdict gets in the way. */
const SECTION_ONLY: Record<keyof Sections, FlagOverrides> = {
  quality: { is_quality: true, is_attribute: false, is_liveness: false },
  attributes: { is_quality: false, is_attribute: true, is_liveness: false },
};
const NO_VALIDATION: FlagOverrides = {
  validate_quality: false, validate_attribute: false, validate_liveness: false, validate_nface: false,
};

/** What a validate node reads of each entry it checks: quality.<measure>.pass, attributes.<name>.detected. */
const READS = { quality: 'pass', attributes: 'detected' } as const satisfies Record<keyof Sections, string>;

export interface SectionSource {
  /** Message property an upstream detect node wrote its result to. */
  readonly source: string;
  /** The entries of the section the node checks (measures or attribute names). */
  readonly checked: readonly string[];
  /** Message property holding the image, used when the section must be computed. */
  readonly property: string;
  readonly config: EngineAccess;
}

/** Where the section came from: the message ('message') or a run of the engine ('engine'). */
export type SectionOrigin = 'message' | 'engine';

export async function obtainSection<K extends keyof Sections>(
  RED: NodeAPI, msg: NodeMessage, name: K, from: SectionSource,
): Promise<{ section: Sections[K]; origin: SectionOrigin }> {
  if (from.config.unusable) throw from.config.unusable;
  const upstream = readMessageProperty(RED, msg, from.source) as { data?: Partial<Sections> } | undefined;
  const reused = upstream && typeof upstream === 'object' ? upstream.data?.[name] : undefined;
  if (reused && typeof reused === 'object') {
    checkReused(reused, name, from);
    return { section: reused as Sections[K], origin: 'message' };
  }

  const body = buildRequest(readMessageProperty(RED, msg, from.property), {}, { ...SECTION_ONLY[name], ...NO_VALIDATION }, msg.req);
  const result = await checkRequestBody(from.config, body);
  const computed = result.data[name];
  if (!computed) throw new Error(`The engine returned no ${name} section.`);
  return { section: computed as Sections[K], origin: 'engine' };
}

/**
 * A section on the message may have been written by anything (a function node, a stored result):
 * one without what the node reads is the message's fault, INVALID_PAYLOAD naming the property,
 * not a TypeError answered as INTERNAL_SERVER_ERROR.
 */
function checkReused(section: object, name: keyof Sections, from: SectionSource): void {
  const field = READS[name];
  for (const entry of from.checked) {
    const value: unknown = (section as Record<string, unknown>)[entry];
    if (typeof value !== 'object' || value === null || typeof (value as Record<string, unknown>)[field] !== 'boolean') {
      throw new FaceliveError('INVALID_PAYLOAD',
        `Expected msg.${from.source}.data.${name}.${entry}.${field} to be a boolean, as a facelive-detect node writes it.`);
    }
  }
}
