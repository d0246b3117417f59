// What the service says at start-up when it runs as one of several workers behind one port
// (node:cluster, which PM2's cluster mode uses): each worker is a process of its own, so a generated
// development pair is one worker's only (a request with it fails on the others), and the memory
// quota store counts quotas and rate limits per worker (a testing quota of 100 allows N x 100 checks
// across N workers). Warnings only: a single worker in cluster mode works as one process does.

import cluster from 'node:cluster';
import type { ListedCredential } from '../middleware';

/** The parts of the service's configuration these notes read. */
export interface ClusterNoteInput {
  readonly isWorker: boolean;
  /** True when the worker runs on a development pair it generated itself. */
  readonly generatedPair: boolean;
  readonly credentials?: readonly ListedCredential[];
  readonly quotaStore?: 'memory' | 'redis';
  readonly rateLimit?: unknown;
  readonly metrics?: boolean;
  readonly metricsPort?: number;
}

/** Whether this process is a node:cluster worker (PM2's cluster mode included). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Said on standard error beside the generated pair. */
export const GENERATED_PAIR_NOTE =
  'facelive: this process is a cluster worker (node:cluster or PM2 cluster mode), and every worker ' +
  'generates a pair of its own: a request with this pair fails with 401 on the other workers. ' +
  'Configure credentials (FACELIVE_CONFIG) to run more than one worker.\n';

/** Logged (level warn) where a per-process count would be multiplied by the number of workers. */
export const PER_PROCESS_LIMITS_WARNING =
  'quotas and rate limits are counted per process with the memory quota store: across N cluster ' +
  'workers a testing quota allows up to N times its checks; set quotaStore "redis" to share them';

/** Logged (level warn) where every worker serves its own counters on the shared port. */
export const SHARED_METRICS_PORT_WARNING =
  'metrics are counted per process and served on the shared port: scrapes reach the workers in turn, ' +
  'so counters read as going down and up and rates are wrong; set metricsPort to serve each worker\'s ' +
  'metrics on a port of its own (metricsPort plus NODE_APP_INSTANCE)';

/** The start-up notes that apply: the generated pair's, and the per-process warnings that apply. */
export function clusterNotes(input: ClusterNoteInput): { readonly pairNote?: string; readonly limitsWarning?: string; readonly metricsWarning?: string } {
  if (!input.isWorker) return {};
  const counted = (input.credentials ?? []).some((credential) => credential.mode === 'testing') || (input.rateLimit !== undefined && input.rateLimit !== false);
  return {
    ...(input.generatedPair ? { pairNote: GENERATED_PAIR_NOTE } : {}),
    ...(input.quotaStore !== 'redis' && counted ? { limitsWarning: PER_PROCESS_LIMITS_WARNING } : {}),
    ...(input.metrics === true && input.metricsPort === undefined ? { metricsWarning: SHARED_METRICS_PORT_WARNING } : {}),
  };
}
