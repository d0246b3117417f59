// How a node reaches the Engine: through the facelive-engine config node it points at.

import type { Engine } from '../../core/engine-types';
import type { AttributeName } from '../../core/types';
import type { Node, NodeAPI } from './red';

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
