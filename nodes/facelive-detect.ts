// facelive-detect: runs the engine on the message's image with the form's options (overridable
// per message via msg.options, and the liveness threshold via msg.livenessThreshold), writes the
// contract's 200 body to msg.liveness, and routes it to output 1 on PASS or output 2 on FAIL_ON_n.

import { DEFAULT_OPTIONS, OPTION_NAMES } from '../core/options';
import { checkRequestBody, requireEngineConfig } from './lib/engine-ref';
import { handleInput } from './lib/handler';
import { readMessageProperty } from './lib/message-property';
import type { Node, NodeAPI, NodeDef } from './lib/red';
import { buildRequest, readLivenessThreshold, readOverrides, type FlagOverrides } from './lib/request';
import { failStatus, passStatus } from './lib/status';

interface DetectDef extends NodeDef {
  /** Id of the facelive-engine config node. */
  readonly engine?: string;
  /** Message property holding the image (or a whole contract body). Defaults to payload. */
  readonly property?: string;
  /** Message property the result goes to. Defaults to liveness. */
  readonly result?: string;
  readonly is_quality?: boolean;
  readonly is_attribute?: boolean;
  readonly is_liveness?: boolean;
  readonly validate_quality?: boolean;
  readonly validate_attribute?: boolean;
  readonly validate_liveness?: boolean;
  readonly validate_nface?: boolean;
}

/** The form's flags; a flag the form did not save keeps the contract's default. */
function formFlags(def: DetectDef): FlagOverrides {
  const flags: Record<string, boolean> = {};
  for (const name of OPTION_NAMES) {
    flags[name] = typeof def[name] === 'boolean' ? (def[name] as boolean) : DEFAULT_OPTIONS[name];
  }
  return flags;
}

export = function register(RED: NodeAPI): void {
  function FaceliveDetectNode(this: Node, def: DetectDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = requireEngineConfig(RED, node, def.engine);
    const property = def.property || 'payload';
    const resultProperty = def.result || 'liveness';
    const form = formFlags(def);

    handleInput(node, async (msg) => {
      const body = buildRequest(readMessageProperty(RED, msg, property), form, readOverrides(msg.options), msg.req);
      const livenessThreshold = readLivenessThreshold(msg.livenessThreshold);
      const context = livenessThreshold === undefined ? {} : { livenessThreshold };
      const result = await checkRequestBody(config, body, context);
      RED.util.setMessageProperty(msg, resultProperty, result, true);
      const pass = result.error_code === null;
      return {
        outputs: pass ? [msg, null] : [null, msg],
        status: pass ? passStatus('PASS') : failStatus(result.error_code ?? 'FAIL'),
      };
    });
  }

  RED.nodes.registerType('facelive-detect', FaceliveDetectNode);
};
