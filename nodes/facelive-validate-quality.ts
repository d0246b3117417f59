// facelive-validate-quality: routes a message by the face's image quality (blur, dark, grayscale,
// and optionally the extension measures): output 1 when every checked measure passes, else output 2.

import type { QualityResult } from '../core/types';
import { requireEngineConfig } from './lib/engine-ref';
import { handleInput } from './lib/handler';
import type { Node, NodeAPI, NodeDef } from './lib/red';
import { obtainSection } from './lib/section';
import { failStatus, passStatus } from './lib/status';

/** The measures this node can check, and whether the form checks them unless told otherwise. */
const MEASURES = {
  blur: true, dark: true, grayscale: true, exposure: false, backlight: false, face_size: false, framing: false, pose: false,
} as const satisfies Record<keyof QualityResult, boolean>;
type MeasureName = keyof typeof MEASURES;

type QualityDef = NodeDef & Partial<Record<MeasureName, boolean>> & {
  readonly engine?: string;
  /** Message property holding the image. Defaults to payload. */
  readonly property?: string;
  /** Message property an upstream facelive-detect wrote its result to. Defaults to liveness. */
  readonly source?: string;
  /** Message property this node's outcome goes to. Defaults to quality. */
  readonly output?: string;
};

export = function register(RED: NodeAPI): void {
  function FaceliveValidateQualityNode(this: Node, def: QualityDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = requireEngineConfig(RED, node, def.engine);
    const checked = (Object.keys(MEASURES) as MeasureName[])
      .filter((name) => (typeof def[name] === 'boolean' ? def[name] : MEASURES[name]));
    const from = { source: def.source || 'liveness', checked: checked, property: def.property || 'payload', config };
    const output = def.output || 'quality';

    handleInput(node, async (msg) => {
      const { section, origin } = await obtainSection(RED, msg, 'quality', from);
      const failed = checked.filter((name) => !section[name].pass);
      const pass = failed.length === 0;
      RED.util.setMessageProperty(msg, output, { pass, checked, failed, source: origin, measures: section }, true);
      return {
        outputs: pass ? [msg, null] : [null, msg],
        status: pass ? passStatus('pass') : failStatus(`fail: ${failed.join(', ')}`),
      };
    });
  }

  RED.nodes.registerType('facelive-validate-quality', FaceliveValidateQualityNode);
};
