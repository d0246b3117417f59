// facelive-validate-attribute: routes a message by the face's attributes: output 1 when none of
// the checked attributes (sunglasses, mask, veil, hat) is detected, else output 2.

import { ATTRIBUTE_NAMES } from '../core/types';
import { parseAttributeList } from './lib/engine-config';
import { requireEngineConfig } from './lib/engine-ref';
import { handleInput } from './lib/handler';
import type { Node, NodeAPI, NodeDef } from './lib/red';
import { obtainSection } from './lib/section';
import { errorStatus, failStatus, passStatus } from './lib/status';

interface AttributeDef extends NodeDef {
  readonly engine?: string;
  /** Comma-separated attributes to check; empty for the engine config node's list. */
  readonly attributes?: string;
  /** Message property holding the image. Defaults to payload. */
  readonly property?: string;
  /** Message property an upstream facelive-detect wrote its result to. Defaults to liveness. */
  readonly source?: string;
  /** Message property this node's outcome goes to. Defaults to attributes. */
  readonly output?: string;
}

export = function register(RED: NodeAPI): void {
  function FaceliveValidateAttributeNode(this: Node, def: AttributeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = requireEngineConfig(RED, node, def.engine);
    let own: string[] | undefined;
    try {
      own = parseAttributeList(def.attributes, 'the attributes to check');
    } catch (err) {
      node.status(errorStatus('bad config'));
      node.error((err as Error).message);
      // Every message is still answered (an http in caller must not wait forever), as
      // INTERNAL_SERVER_ERROR: the reason is in the log above, not in an answer to a client.
      const refusal = err as Error;
      handleInput(node, () => Promise.reject(refusal));
      return;
    }
    const checked = own && own.length > 0 ? own : [...config.validateAttributes];
    const ordered = ATTRIBUTE_NAMES.filter((name) => checked.includes(name));
    const from = { source: def.source || 'liveness', checked: ordered, property: def.property || 'payload', config };
    const output = def.output || 'attributes';

    handleInput(node, async (msg) => {
      const { section, origin } = await obtainSection(RED, msg, 'attributes', from);
      const failed = ordered.filter((name) => section[name].detected);
      const pass = failed.length === 0;
      RED.util.setMessageProperty(msg, output, { pass, checked: ordered, failed, source: origin, measures: section }, true);
      return {
        outputs: pass ? [msg, null] : [null, msg],
        status: pass ? passStatus('pass') : failStatus(`detected: ${failed.join(', ')}`),
      };
    });
  }

  RED.nodes.registerType('facelive-validate-attribute', FaceliveValidateAttributeNode);
};
