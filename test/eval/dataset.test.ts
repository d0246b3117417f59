// Reading labelled sets: folder layout, CSV lists, sorted order, empty species.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv, readDataset } from '../../core/eval/dataset';

describe('eval/dataset', () => {
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-'));
    const files = [
      'live/b.jpg', 'live/a.PNG', 'live/notes.txt', 'spoof_print/x.jpg', 'spoof_replay/sub/y.webp',
      'attr_mask/m.jpg', 'attr_none/n.jpeg', 'other/ignored.jpg',
    ];
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await fs.writeFile(path.join(dir, f), '');
    }
    await fs.mkdir(path.join(dir, 'spoof_other'));
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads live/, spoof_*/ (recursively) and attr_*/ folders in sorted order', async () => {
    const set = await readDataset(dir);
    const rel = (p: string): string => path.relative(dir, p).split(path.sep).join('/');
    assert.deepEqual(set.liveness.map((i) => [rel(i.path), i.label, i.species]), [
      ['live/a.PNG', 'live', ''], ['live/b.jpg', 'live', ''],
      ['spoof_print/x.jpg', 'attack', 'print'], ['spoof_replay/sub/y.webp', 'attack', 'replay'],
    ]);
    assert.deepEqual(set.species, ['other', 'print', 'replay']);
    assert.deepEqual(set.attributes.map((i) => [rel(i.path), i.attributes]), [
      ['attr_mask/m.jpg', ['mask']], ['attr_none/n.jpeg', []],
    ]);
    assert.deepEqual(set.attributeNames, ['mask']);
  });

  it('reads a CSV list relative to its folder and merges attribute rows', async () => {
    const csv = path.join(dir, 'list.csv');
    await fs.writeFile(csv, [
      'path,label,species',
      'live/b.jpg,live,',
      '"spoof_print/x.jpg",attack,print',
      'spoof_replay/sub/y.webp,spoof_replay,',
      'attr_mask/m.jpg,attr_mask,',
      'attr_mask/m.jpg,attr_sunglasses,',
      '',
    ].join('\r\n'));
    const set = await readDataset(csv);
    assert.deepEqual(set.liveness.map((i) => [i.label, i.species]), [['live', ''], ['attack', 'print'], ['attack', 'replay']]);
    assert.equal(set.liveness[0].path, path.join(dir, 'live/b.jpg'));
    assert.deepEqual(set.attributes.map((i) => i.attributes), [['mask', 'sunglasses']]);
    await fs.writeFile(csv, 'a.jpg,bogus,\n');
    await assert.rejects(readDataset(csv), TypeError);
  });

  it('parses quoted CSV fields', () => {
    assert.deepEqual(parseCsv('a,"b,""c""",d\n\n1,2,3'), [['a', 'b,"c"', 'd'], ['1', '2', '3']]);
  });
});
