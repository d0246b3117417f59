// How a node reaches the Engine: through the facelive-engine config node it points at.

import type { Engine } from '../../core/engine-types';
import type { AttributeName } from '../../core/types';
import type { Node, NodeAPI } from './red';
import { errorStatus } from './status';

/** The runtime side of a facelive-engine config node. */
export interface EngineConfigNode extends Node {
  /** The shared Engine: the first call creates it, every later call gets the same promise. */
  getEngine(): Promise<Engine>;
  /** The attributes validate_attribute fails on (the form's list). */
  validateAttributes: readonly AttributeName[];
}

/** The config node with this id, or null when it is missing or not a facelive-engine. */
export function findEngineConfig(RED: NodeAPI, id: unknown): EngineConfigNode | null {
  if (typeof id !== 'string' || id === '') return null;
  const node = RED.nodes.getNode(id) as Partial<EngineConfigNode> | null;
  return node && typeof node.getEngine === 'function' ? (node as EngineConfigNode) : null;
}

/**
 * The config node a node's form points at; when there is none, the node shows a red status and
 * logs the reason, and the caller stops before registering an input handler.
 */
export function requireEngineConfig(RED: NodeAPI, node: Node, id: unknown): EngineConfigNode | null {
  const config = findEngineConfig(RED, id);
  if (!config) {
    node.status(errorStatus('no engine'));
    node.error('No facelive-engine configuration node is set.');
  }
  return config;
}
