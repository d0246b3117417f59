// Reads a message property the way the nodes' forms name it (payload, msg.data.image), as absent
// when a parent along the path is missing: Node-RED's getMessageProperty throws a TypeError there,
// which a node would answer as INTERNAL_SERVER_ERROR instead of, say, MISSING_PAYLOAD_IMAGE.

import type { NodeAPI, NodeMessage } from './red';

/**
 * The value at `expr` in `msg`, or undefined when it or one of its parents is absent (undefined or
 * null). An expression Node-RED cannot parse still throws its INVALID_EXPR error.
 */
export function readMessageProperty(RED: NodeAPI, msg: NodeMessage, expr: string): unknown {
  const path = RED.util.normalisePropertyExpression(expr.startsWith('msg.') ? expr.slice(4) : expr, msg);
  let value: unknown = msg;
  for (const key of path) {
    if (value === undefined || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
