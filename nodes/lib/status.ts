// Node status badges: working, last verdict (green PASS, yellow FAIL), last error (red, its code).

import type { NodeStatus } from './red';

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
