// Node status badges: none after a deploy, working, last verdict (green PASS, yellow FAIL), last
// error (red, its code).

import type { NodeStatus } from './red';

/** No badge: a node (re)started by a deploy, before its first message. */
export const NONE: NodeStatus = {};

export const BUSY: NodeStatus = { fill: 'blue', shape: 'ring', text: 'checking' };

export function passStatus(text: string): NodeStatus {
  return { fill: 'green', shape: 'dot', text };
}

export function failStatus(text: string): NodeStatus {
  return { fill: 'yellow', shape: 'dot', text };
}

export function errorStatus(code: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text: code };
}
