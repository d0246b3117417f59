// Flag groups: the labelled yes/no properties `facelive eval` scores with precision and recall,
// attributes (attr_<name>/) and quality problems (quality_<measure>/). Each group says how it is
// labelled, which names it knows, how to ask the engine, and what the engine flagged in its answer.

import type { CheckOptions } from '../options';
import type { QualityResult, VerdictData } from '../types';

export type FlagGroup = 'attribute' | 'quality';
export const FLAG_GROUPS: readonly FlagGroup[] = ['attribute', 'quality'];

/** A record with one entry per flag group, each made by make(group). */
export function byGroup<T>(make: (group: FlagGroup) => T): Record<FlagGroup, T> {
  return Object.fromEntries(FLAG_GROUPS.map((g) => [g, make(g)])) as Record<FlagGroup, T>;
}

/** A threshold as the engine reports it: one number, or several named limits (pose). */
export type FlagThreshold = number | Readonly<Record<string, number>>;

/** What the engine said about one image, for one group. */
export interface FlagReading {
  /** Name -> flagged (attribute detected / quality measure failed). */
  readonly flagged: Record<string, boolean>;
  readonly thresholds: Record<string, FlagThreshold>;
  /** Name -> the score behind the flag, where the group has one worth plotting (attribute probabilities). */
  readonly scores?: Record<string, number>;
}

export interface FlagGroupSpec {
  /** Folder and CSV label prefix: `<prefix><name>` and `<prefix>none`. */
  readonly prefix: string;
  /** What one name is, in messages. */
  readonly noun: string;
  /** Names a label may use; undefined: any name. */
  readonly known?: readonly string[];
  /** Key of the group in the report. */
  readonly reportKey: 'attributes' | 'quality';
  /** Title of the group's section in the text report. */
  readonly title: string;
  /** First column heading of the text table. */
  readonly heading: string;
  /** What engine.check computes for the group alone. */
  readonly options: Pick<CheckOptions, 'is_liveness' | 'is_quality' | 'is_attribute'>;
  /** Reads the group's section; null when the answer has none. */
  read(data: VerdictData): FlagReading | null;
}

/** The keys of the engine's data.quality; the type below fails to compile if one is missing. */
export const QUALITY_MEASURES = ['blur', 'dark', 'grayscale', 'exposure', 'backlight', 'face_size', 'framing', 'pose'] as const;
type MissingMeasure = Exclude<keyof QualityResult, (typeof QUALITY_MEASURES)[number]>;
const allMeasures: [MissingMeasure] extends [never] ? true : never = true;
void allMeasures;

function qualityThreshold(name: (typeof QUALITY_MEASURES)[number], q: QualityResult): FlagThreshold {
  if (name === 'pose') return { max_yaw: q.pose.max_yaw, max_pitch: q.pose.max_pitch, max_roll: q.pose.max_roll, max_yaw_from_landmarks: q.pose.max_yaw_from_landmarks };
  return q[name].threshold;
}

export const GROUPS: Readonly<Record<FlagGroup, FlagGroupSpec>> = {
  attribute: {
    prefix: 'attr_',
    noun: 'attribute',
    reportKey: 'attributes',
    title: 'Attributes',
    heading: 'attribute',
    options: { is_liveness: false, is_quality: false, is_attribute: true },
    read(data) {
      if (!data.attributes) return null;
      const reading: Required<FlagReading> = { flagged: {}, thresholds: {}, scores: {} };
      for (const [name, m] of Object.entries(data.attributes)) {
        reading.scores[name] = m.probability;
        reading.thresholds[name] = m.threshold;
        reading.flagged[name] = m.detected; // the engine's decision (sunglasses also weigh eyeglasses)
      }
      return reading;
    },
  },
  quality: {
    prefix: 'quality_',
    noun: 'quality measure',
    known: QUALITY_MEASURES,
    reportKey: 'quality',
    title: 'Quality problems (a measure that fails its threshold)',
    heading: 'quality',
    options: { is_liveness: false, is_quality: true, is_attribute: false },
    read(data) {
      const q = data.quality;
      if (!q) return null;
      const reading: FlagReading = { flagged: {}, thresholds: {} };
      for (const name of QUALITY_MEASURES) {
        reading.flagged[name] = q[name].pass === false;
        reading.thresholds[name] = qualityThreshold(name, q);
      }
      return reading;
    },
  },
};
