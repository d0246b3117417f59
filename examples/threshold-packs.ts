// The service's refusal to judge an App-ID on a pack its calibrated threshold does not belong to: the
// first credential whose livenessThresholdPack names another pack than the running one, said in words.

import type { Engine } from '../core/engine-types';
import { packId, thresholdPackMismatch } from '../core/models/pack-id';
import { quote } from '../core/quote';
import type { ListedCredential } from '../middleware';

/** Why the service must not serve `credentials` on `engine`'s pack, or undefined when it may. */
export function thresholdPackRefusal(credentials: readonly ListedCredential[], engine: Engine): string | undefined {
  const running = packId(engine.pack);
  return credentials
    .map((credential) => thresholdPackMismatch(credential.livenessThresholdPack, running, `The liveness threshold of App-ID ${quote(credential.appId)}`))
    .find((reason) => reason !== undefined);
}
