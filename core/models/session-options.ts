// The onnxruntime-node session options every model of a pack is created with (in the main thread or
// in a model worker). Measured with bench/ort-options.ts: see docs/speed.md for the figures.

import type { InferenceSession } from 'onnxruntime-node';

export const SESSION_OPTIONS: InferenceSession.SessionOptions = Object.freeze({
  // Constant folding, node fusions and layout optimisations: the fastest level on every model.
  graphOptimizationLevel: 'all',
  // One thread per session: a check runs its models one after another on a thread each, and a
  // server runs several checks at once; extra intra-op threads only spin against each other.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  // These models are chains of convolutions: the parallel executor has nothing to overlap.
  executionMode: 'sequential',
  // The arena keeps activation buffers between runs instead of allocating them per run.
  enableCpuMemArena: true,
  logSeverityLevel: 3,
}) as InferenceSession.SessionOptions;
