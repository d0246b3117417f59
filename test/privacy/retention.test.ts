// The engine keeps no reference to an image once its answer is out: the Buffer or string a check
// was given can be collected (docs/privacy.md, "The image").

import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Engine } from '../../core/engine-types';
import { selfieJpeg } from '../helpers/faces';
import { sharedEngine } from '../helpers/server';

/** Node's gc(), without starting the process with --expose-gc. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe('what a check keeps', function () {
  this.timeout(60_000);
  let engine: Engine;
  let jpeg: Buffer;

  before(async () => {
    engine = await sharedEngine();
    jpeg = await selfieJpeg('frontal', 640, 480);
  });

  /** Checks a fresh copy of the image in the given form and answers whether the engine still holds it. */
  async function heldAfterCheck(form: 'buffer' | 'body'): Promise<boolean> {
    const gc = collector();
    // Built inside a function of its own, so that no frame of this one keeps the image alive. A
    // string cannot be watched: the body object that holds the base64 is.
    const ref = await (async () => {
      const copy = Buffer.from(jpeg);
      const body = { image: copy.toString('base64'), is_quality: true };
      const held: WeakRef<object> = new WeakRef(form === 'buffer' ? copy : body);
      const result = form === 'body' ? await engine.checkRequest(body) : await engine.check(copy, {});
      assert.equal(result.data.nface, 1);
      return held;
    })();
    for (let i = 0; i < 3; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
    }
    return ref.deref() !== undefined;
  }

  for (const form of ['buffer', 'body'] as const) {
    it(`holds no reference to the image (${form === 'buffer' ? 'a Buffer' : 'a request body with base64'}) after the answer`, async () => {
      assert.equal(await heldAfterCheck(form), false);
    });
  }
});
