// How a node reaches the Engine: through the facelive-engine config node it points at, and how it
// checks a request body there.

import type { CheckContext, FaceliveEngine } from '../../core/engine-types';
import { FaceliveError } from '../../core/errors';
import type { AttributeName, CheckResult } from '../../core/types';
import type { Node, NodeAPI } from './red';
import { errorStatus, NONE } from './status';

/** What the facelive nodes use of a facelive-engine config node. */
export interface EngineAccess {
  /**
   * The shared Engine: the first call creates it, later calls get the same one, until it has
   * failed (a model's worker thread exited) or could not start: then the next call makes a new one.
   */
  getEngine(): Promise<FaceliveEngine>;
  /**
   * Runs `work` with the shared Engine when one of its check places is free: at most one check per
   * CPU at once for all the nodes using this engine; the rest wait in order, so a burst of messages
   * (a folder of photos) does not decode all its images at once.
   */
  withEngine<T>(work: (engine: FaceliveEngine) => Promise<T>): Promise<T>;
  /**
   * Runs all of one message's work (loading its image, then its check): a close of the engine node
   * meanwhile lets it finish on the engine of that moment. After a close it refuses at once with
   * SERVICE_UNAVAILABLE.
   */
  admit<T>(work: () => Promise<T>): Promise<T>;
  /** The attributes validate_attribute fails on (the form's list). */
  validateAttributes: readonly AttributeName[];
  /**
   * Why this engine cannot be used at all (no engine node is set, or its settings were refused), or
   * undefined: a validate node then answers every message with the error, even one that carries an
   * upstream result it could reuse (its thresholds and attribute list are the engine node's).
   */
  unusable?: Error;
}

/** The runtime side of a facelive-engine config node. */
export interface EngineConfigNode extends Node, EngineAccess {}

/** The config node with this id, or null when it is missing or not a facelive-engine. */
export function findEngineConfig(RED: NodeAPI, id: unknown): EngineConfigNode | null {
  if (typeof id !== 'string' || id === '') return null;
  const node = RED.nodes.getNode(id) as Partial<EngineConfigNode> | null;
  return node && typeof node.getEngine === 'function' ? (node as EngineConfigNode) : null;
}

/** What a node without an engine uses: every message ends in INTERNAL_SERVER_ERROR saying why. */
function missingEngine(): EngineAccess {
  const unusable = new FaceliveError('INTERNAL_SERVER_ERROR', 'No facelive-engine configuration node is set for this node.');
  const refuse = (): Promise<never> => Promise.reject(unusable);
  return { getEngine: refuse, withEngine: refuse, admit: (work) => work(), validateAttributes: [], unusable };
}

/**
 * The config node a node's form points at. When there is none, the node shows a red status and logs
 * the reason, and gets a stand-in that refuses every message with INTERNAL_SERVER_ERROR: a message
 * is never dropped without an answer (an http in flow would leave its caller waiting).
 * Node-RED keeps the badge a node's previous instance showed through a redeploy, so the node sets
 * one as it starts: none, or red when its engine node's settings were refused. A usable engine node's
 * engine is started then.
 */
export function requireEngineConfig(RED: NodeAPI, node: Node, id: unknown): EngineAccess {
  const config = findEngineConfig(RED, id);
  if (config) {
    node.status(config.unusable ? errorStatus('engine settings') : NONE);
    // Started as this node starts, so that its first message finds the engine loaded and warmed up:
    // also when a "Modified Nodes" deploy adds it beside an engine node that stays as it was, and
    // whether it names the engine node directly, through an environment variable or from inside a
    // subflow. A disabled node is not started, so it starts nothing. A failure to start is the engine
    // node's error; the first message then tries again.
    if (!config.unusable) config.getEngine().catch(() => undefined);
    return config;
  }
  node.status(errorStatus('no engine'));
  node.error('No facelive-engine configuration node is set.');
  return missingEngine();
}

/**
 * Checks one request body through the engine node: the image is loaded first (a URL fetched), outside
 * the engine node's check places, so that a slow image server holds no place that other messages'
 * checks need; then the check runs in a place.
 */
export async function checkRequestBody(config: EngineAccess, body: unknown, context: CheckContext = {}): Promise<CheckResult> {
  return config.admit(async () => {
    const loaded = await (await config.getEngine()).loadRequest(body);
    return config.withEngine((placed) => placed.check(loaded.image, loaded.options, context));
  });
}
