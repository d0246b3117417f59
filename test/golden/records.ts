// The golden records' file format and where it lives (test/golden/records.json in the source tree).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from '../../core/models/manifest';
import type { Box } from '../../core/types';
import type { Decoded, TensorSummary } from './reference';

export interface GoldenCase {
  readonly fixture: string;
  /** The face box the crop is cut around (raster pixels); null for the detector. */
  readonly box: Box | null;
  readonly inputSize: { readonly width: number; readonly height: number };
  /** The reference run's raw outputs, summarised. */
  readonly outputs: Record<string, TensorSummary>;
  /** The reference decoding (null for the detector). */
  readonly decoded: Decoded | null;
  /** Detector only: the engine's decoded faces when recorded (a regression record, not a reference). */
  readonly faces?: { box: Box; score: number }[];
}

export interface ModelRecord {
  readonly file: string;
  readonly sha256: string;
  readonly role: ModelEntry['role'];
  /** The manifest's preprocessing and output spec when recorded: a change needs a new record. */
  readonly input: ModelEntry['input'];
  readonly crop: ModelEntry['crop'];
  readonly output: ModelEntry['output'];
  readonly recorded: string;
  readonly cases: GoldenCase[];
}

export interface GoldenFile {
  readonly about: string;
  readonly models: Record<string, ModelRecord>;
}

/** test/golden/records.json, from the compiled dist/test/golden/ or from the source tree. */
export const RECORDS_FILE = path.resolve(__dirname, '..', '..', '..', 'test', 'golden', 'records.json');

export function readRecords(): GoldenFile {
  if (!existsSync(RECORDS_FILE)) return { about: '', models: {} };
  return JSON.parse(readFileSync(RECORDS_FILE, 'utf8')) as GoldenFile;
}

/** The command that re-records, for messages. */
export const RECORD_COMMAND = 'npm run golden:record -- --only <model key>';
