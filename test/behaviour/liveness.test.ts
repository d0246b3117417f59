// Liveness behaviour on real faces, against whatever liveness models the default pack holds: every
// fixture face (three selfies, 22 portraits from the group photos) is scored live, then replayed
// on a simulated screen and photographed again (test/helpers/recapture.ts). The live faces must
// score clearly above their own replays. A model whose output is inverted cannot pass.

import assert from 'node:assert/strict';
import type { Engine } from '../../core';
import { FaceliveError } from '../../core/errors';
import { sharedEngine } from '../helpers/engine';
import { PORTRAIT_CROPS, portraitJpeg, SELFIE_NAMES, selfieJpeg } from '../helpers/faces';
import { recapture } from '../helpers/recapture';

/** Pairs in which both the face and its replay must be found for the comparison to mean anything. */
const MIN_PAIRS = 10;
/** Mean live score minus mean replay score, over the pairs. */
const MIN_MEAN_GAP = 0.15;
/** Share of pairs in which the live face scores above its own replay. */
const MIN_PAIRS_WON = 2 / 3;

interface Pair {
  readonly name: string;
  readonly live: number;
  /** The replay's live probability, or null when no face was found in it (the attack is refused). */
  readonly replay: number | null;
}

async function liveProbability(engine: Engine, image: Buffer): Promise<number | null> {
  try {
    const { data } = await engine.check(image, { is_quality: false, is_attribute: false });
    return data.liveness!.probability;
  } catch (err) {
    if (err instanceof FaceliveError && err.code === 'FACE_NOT_DETECTED') return null;
    throw err;
  }
}

describe('liveness on real faces: live above their screen replays', function () {
  this.timeout(300_000);
  const pairs: Pair[] = [];
  let threshold = 0;

  before(async function () {
    const engine = await sharedEngine();
    threshold = (await engine.check(await selfieJpeg(), { is_quality: false, is_attribute: false })).data.liveness!.threshold;
    const faces: [string, Buffer][] = [
      ...(await Promise.all(SELFIE_NAMES.map(async (name) => [`selfie ${name}`, await selfieJpeg(name)] as [string, Buffer]))),
      ...(await Promise.all(PORTRAIT_CROPS.map(async (crop, i) => [`${crop.photo} #${i}`, await portraitJpeg(i)] as [string, Buffer]))),
    ];
    for (const [name, image] of faces) {
      const live = await liveProbability(engine, image);
      assert.notEqual(live, null, `the live face ${name} is found`);
      pairs.push({ name, live: live!, replay: await liveProbability(engine, await recapture(image)) });
    }
  });

  const compared = (): { name: string; live: number; replay: number }[] =>
    pairs.filter((p): p is Pair & { replay: number } => p.replay !== null);
  const table = (): string => pairs.map((p) => `${p.name}: live ${p.live.toFixed(3)}, replay ${p.replay === null ? 'no face' : p.replay.toFixed(3)}`).join('\n');
  const mean = (values: number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

  it(`finds the face in at least ${MIN_PAIRS} replays, so the comparison has power`, function () {
    assert.ok(compared().length >= MIN_PAIRS, `${compared().length} pairs\n${table()}`);
  });

  it(`scores live faces at least ${MIN_MEAN_GAP} above their replays on average`, function () {
    const both = compared();
    const gap = mean(both.map((p) => p.live)) - mean(both.map((p) => p.replay));
    assert.ok(gap >= MIN_MEAN_GAP, `mean gap ${gap.toFixed(3)}\n${table()}`);
  });

  it(`scores the live face above its own replay in at least ${Math.round(MIN_PAIRS_WON * 100)} % of pairs`, function () {
    const both = compared();
    const won = both.filter((p) => p.live > p.replay).length;
    assert.ok(won / both.length >= MIN_PAIRS_WON, `${won} of ${both.length}\n${table()}`);
  });

  it('scores the live faces above the pack\'s threshold on average, and most of them one by one', function () {
    const live = pairs.map((p) => p.live);
    assert.ok(mean(live) > threshold, `mean live ${mean(live).toFixed(3)} vs threshold ${threshold}\n${table()}`);
    const accepted = live.filter((v) => v >= threshold).length;
    assert.ok(accepted / live.length >= 0.6, `${accepted} of ${live.length} live faces accepted at ${threshold}\n${table()}`);
  });
});
