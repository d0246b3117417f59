// Shared pieces of the Node-RED node tests: the node modules, flow builders and message waiters.

import path from 'node:path';
import helper from 'node-red-node-test-helper';

/** The package's own nodes, compiled beside this file's compiled copy (dist/nodes/). */
export const NODE_DIR = path.resolve(__dirname, '..', '..', 'nodes');
export const engineNode = require(path.join(NODE_DIR, 'facelive-engine.js'));
export const detectNode = require(path.join(NODE_DIR, 'facelive-detect.js'));
export const qualityNode = require(path.join(NODE_DIR, 'facelive-validate-quality.js'));
export const attributeNode = require(path.join(NODE_DIR, 'facelive-validate-attribute.js'));
export const faceliveNodes = [engineNode, detectNode, qualityNode, attributeNode];

/** Node-RED core nodes, from the node-red devDependency. */
const coreDir = path.dirname(require.resolve('@node-red/nodes/package.json'));
export function coreNode(file: string): (RED: unknown) => unknown {
  return require(path.join(coreDir, 'core', file));
}

helper.init(require.resolve('node-red'));
export { helper };

/** A flow (tab 'tab') of one facelive node under test, wired to helper nodes `pass` and `fail`, plus a Catch -> `caught`. */
export function nodeFlow(type: string, props: Record<string, unknown> = {}, engine: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'facelive-engine', name: 'engine', ...engine },
    { id: 'n1', z: 'tab', type, name: 'under test', engine: 'cfg', ...props, wires: [['pass'], ['fail']] },
    { id: 'pass', z: 'tab', type: 'helper' },
    { id: 'fail', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

/** Resolves with the first message one of the named helper nodes gets; rejects when another of them gets one first. */
export function nextMessage(expected: string, others: string[] = [], timeoutMs = 20_000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no message reached ${expected} within ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | null, msg?: Record<string, any>): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(msg as Record<string, any>);
    }
    helper.getNode(expected).on('input', (msg) => finish(null, msg));
    for (const id of others) {
      helper.getNode(id).on('input', (msg) => {
        const why = msg.error ? `${msg.error.code}: ${msg.error.message}` : JSON.stringify(msg.liveness?.error_code ?? null);
        finish(new Error(`expected a message on ${expected} but ${id} got one (${why})`));
      });
    }
  });
}

/** Sends `msg` to node n1 and waits for it on `expected` (one of pass, fail, caught). */
export function run(expected: 'pass' | 'fail' | 'caught', msg: Record<string, unknown>, node = 'n1'): Promise<Record<string, any>> {
  const others = ['pass', 'fail', 'caught'].filter((id) => id !== expected);
  const waiting = nextMessage(expected, others);
  helper.getNode(node).receive(msg);
  return waiting;
}

/**
 * Resolves with the status the node shows once it has handled a message: the first after its
 * "checking" (not the one it was given as the deploy started it).
 */
export function settledStatus(id = 'n1', timeoutMs = 20_000): Promise<{ fill?: string; shape?: string; text?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final status on ${id}`)), timeoutMs);
    let checking = false;
    helper.getNode(id).on('call:status', (call: { args: [{ fill?: string; shape?: string; text?: string }] }) => {
      const status = call.args[0];
      if (status.text === 'checking') checking = true;
      else if (checking) {
        clearTimeout(timer);
        resolve(status);
      }
    });
  });
}
