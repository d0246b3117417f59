// The slice of the Node-RED runtime API these nodes use (node-red ships no TypeScript types).

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type NodeSend = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type NodeDone = (err?: Error) => void;

/** A runtime node, after RED.nodes.createNode() has mixed the Node prototype in. */
export interface Node {
  readonly id: string;
  readonly type: string;
  name?: string;
  on(event: 'input', listener: (msg: NodeMessage, send: NodeSend, done: NodeDone) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(message: unknown): void;
  log(message: unknown): void;
}

/** The properties the editor saved for a node. */
export interface NodeDef {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType<T extends Node, D extends NodeDef>(type: string, ctor: (this: T, def: D) => void, opts?: object): void;
    getNode(id: string): Node | null;
  };
  util: {
    /** The path an expression names, as keys; `msg` resolves the expression's nested msg references. */
    normalisePropertyExpression(expr: string, msg?: NodeMessage): (string | number)[];
    setMessageProperty(msg: NodeMessage, expr: string, value: unknown, createMissing?: boolean): boolean;
  };
}
