// The input handler every facelive node shares: busy status, run the work, then status + send +
// done(), or a red status and done(err) so Catch nodes get the msg with msg.error.code (and
// msg.statusCode set to the code's HTTP status from core's table, ready for an http response node).
// An unexpected error is logged as a warning first: its answer hides the cause.

import { describeUnexpected, toNodeError } from './errors';
import type { Node, NodeMessage, NodeStatus } from './red';
import { BUSY, errorStatus } from './status';

export interface Outcome {
  /** One slot per output; null sends nothing on that output. */
  readonly outputs: (NodeMessage | null)[];
  readonly status: NodeStatus;
}

export function handleInput(node: Node, work: (msg: NodeMessage) => Promise<Outcome>): void {
  node.on('input', (msg, send, done) => {
    node.status(BUSY);
    Promise.resolve(msg).then(work).then(
      (outcome) => {
        node.status(outcome.status);
        send(outcome.outputs);
        done();
      },
      (err: unknown) => {
        const error = toNodeError(err);
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          const described = describeUnexpected(err);
          if (described !== undefined) node.warn(described);
        }
        node.status(errorStatus(error.code));
        msg.statusCode = error.status;
        done(error);
      },
    );
  });
}
