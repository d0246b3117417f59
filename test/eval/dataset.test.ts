// Reading labelled sets: folder layout, CSV lists, sorted order, empty species, attribute and quality
// flag groups, unknown quality measures, folder names in any case, ignored folders, broken links.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatasetLabelError, parseCsv, readDataset } from '../../core/eval/dataset';

describe('eval/dataset', () => {
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-'));
    const files = [
      'live/b.jpg', 'live/a.PNG', 'live/notes.txt', 'spoof_print/x.jpg', 'spoof_replay/sub/y.webp',
      'attr_mask/m.jpg', 'attr_none/n.jpeg', 'other/ignored.jpg',
      'quality_blur/b.jpg', 'quality_dark/d.jpg', 'quality_none/n.png', 'quality_none/sub/o.jpg',
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

  it('reads live/, spoof_*/ (recursively), attr_*/ and quality_*/ folders in sorted order', async () => {
    const set = await readDataset(dir);
    const rel = (p: string): string => path.relative(dir, p).split(path.sep).join('/');
    assert.deepEqual(set.liveness.map((i) => [rel(i.path), i.label, i.species]), [
      ['live/a.PNG', 'live', ''], ['live/b.jpg', 'live', ''],
      ['spoof_print/x.jpg', 'attack', 'print'], ['spoof_replay/sub/y.webp', 'attack', 'replay'],
    ]);
    assert.deepEqual(set.species, ['other', 'print', 'replay']);
    assert.deepEqual(set.flags.attribute.map((i) => [rel(i.path), i.group, i.flags]), [
      ['attr_mask/m.jpg', 'attribute', ['mask']], ['attr_none/n.jpeg', 'attribute', []],
    ]);
    assert.deepEqual(set.flags.quality.map((i) => [rel(i.path), i.group, i.flags]), [
      ['quality_blur/b.jpg', 'quality', ['blur']], ['quality_dark/d.jpg', 'quality', ['dark']],
      ['quality_none/n.png', 'quality', []], ['quality_none/sub/o.jpg', 'quality', []],
    ]);
    assert.deepEqual(set.flagNames, { attribute: ['mask'], quality: ['blur', 'dark'] });
    assert.deepEqual(set.ignored, ['other']);
  });

  it('reads folder names as labels in any case, species in lower case, and lists the folders it ignores', async () => {
    const cased = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-case-'));
    try {
      for (const f of ['Live/a.jpg', 'Spoof_PRINT/p.jpg', 'spoof_print/q.jpg', 'Quality_Blur/b.jpg', 'ATTR_NONE/n.jpg', 'live2/x.jpg', 'Others/y.jpg', '.cache/z.jpg']) {
        await fs.mkdir(path.dirname(path.join(cased, f)), { recursive: true });
        await fs.writeFile(path.join(cased, f), '');
      }
      const set = await readDataset(cased);
      const rel = (p: string): string => path.relative(cased, p).split(path.sep).join('/');
      assert.deepEqual(set.liveness.map((i) => [rel(i.path), i.label, i.species]), [
        ['Live/a.jpg', 'live', ''], ['Spoof_PRINT/p.jpg', 'attack', 'print'], ['spoof_print/q.jpg', 'attack', 'print'],
      ]);
      assert.deepEqual(set.species, ['print']);
      assert.deepEqual(set.flags.quality.map((i) => [rel(i.path), i.flags]), [['Quality_Blur/b.jpg', ['blur']]]);
      assert.deepEqual(set.flags.attribute.map((i) => [rel(i.path), i.flags]), [['ATTR_NONE/n.jpg', []]]);
      assert.deepEqual(set.ignored, ['Others', 'live2'], 'hidden folders are not named');
    } finally {
      await fs.rm(cased, { recursive: true, force: true });
    }
  });

  it('refuses a link that leads nowhere under a label folder, or as one, naming it', async () => {
    const linked = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-dangling-'));
    try {
      await fs.mkdir(path.join(linked, 'live', 'sub'), { recursive: true });
      await fs.writeFile(path.join(linked, 'live', 'a.jpg'), '');
      await fs.symlink(path.join(linked, 'nowhere.jpg'), path.join(linked, 'live', 'sub', 'gone.jpg'));
      await assert.rejects(readDataset(linked), (err: Error) => err instanceof DatasetLabelError
        && /1 link\(s\) in ".*" lead to no file or folder: "live\/sub\/gone\.jpg"/.test(err.message));
      await fs.rm(path.join(linked, 'live', 'sub'), { recursive: true });
      await fs.symlink(path.join(linked, 'nowhere'), path.join(linked, 'Spoof_Mask'));
      await fs.symlink(path.join(linked, 'nowhere'), path.join(linked, 'notes'));
      await assert.rejects(readDataset(linked), (err: Error) => err instanceof DatasetLabelError
        && /1 link\(s\) .*: "Spoof_Mask";/.test(err.message), 'a broken link named as no label is not counted');
      await fs.rm(path.join(linked, 'Spoof_Mask'));
      assert.deepEqual((await readDataset(linked)).liveness.map((i) => path.basename(i.path)), ['a.jpg']);
    } finally {
      await fs.rm(linked, { recursive: true, force: true });
    }
  });

  it('rejects an unknown quality measure, naming the known ones', async () => {
    const bad = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-bad-'));
    try {
      await fs.mkdir(path.join(bad, 'quality_sharpness'));
      await assert.rejects(readDataset(bad), (err: Error) => err instanceof DatasetLabelError
        && /"sharpness"/.test(err.message)
        && /quality_blur, quality_dark, quality_grayscale, quality_exposure, quality_backlight, quality_face_size, quality_framing, quality_pose or quality_none/.test(err.message));
      const csv = path.join(bad, 'list.csv');
      await fs.writeFile(csv, 'a.jpg,quality_noise,\n');
      await assert.rejects(readDataset(csv), (err: Error) => err instanceof DatasetLabelError && /"noise".*row 1.*quality_pose/.test(err.message));
    } finally {
      await fs.rm(bad, { recursive: true, force: true });
    }
  });

  it('reads a CSV list relative to its folder and merges attribute rows and quality rows', async () => {
    const csv = path.join(dir, 'list.csv');
    await fs.writeFile(csv, [
      'path,label,species',
      'live/b.jpg,live,',
      '"spoof_print/x.jpg",attack,print',
      'spoof_replay/sub/y.webp,spoof_replay,',
      'attr_mask/m.jpg,attr_mask,',
      'attr_mask/m.jpg,attr_sunglasses,',
      'quality_blur/b.jpg,quality_dark,',
      'quality_blur/b.jpg,QUALITY_BLUR,',
      'attr_mask/m.jpg,quality_none,',
      '',
    ].join('\r\n'));
    const set = await readDataset(csv);
    assert.deepEqual(set.liveness.map((i) => [i.label, i.species]), [['live', ''], ['attack', 'print'], ['attack', 'replay']]);
    assert.equal(set.liveness[0].path, path.join(dir, 'live/b.jpg'));
    assert.deepEqual(set.flags.attribute.map((i) => i.flags), [['mask', 'sunglasses']]);
    assert.deepEqual(set.flags.quality.map((i) => [path.relative(dir, i.path).split(path.sep).join('/'), i.flags]), [
      ['attr_mask/m.jpg', []], ['quality_blur/b.jpg', ['blur', 'dark']],
    ]);
    assert.deepEqual(set.flagNames, { attribute: ['mask', 'sunglasses'], quality: ['blur', 'dark'] });
    assert.deepEqual(set.ignored, [], 'a list has no folders to ignore');
    await fs.writeFile(csv, 'a.jpg,bogus,\n');
    await assert.rejects(readDataset(csv), DatasetLabelError);
  });

  it('parses quoted CSV fields', () => {
    assert.deepEqual(parseCsv('a,"b,""c""",d\n\n1,2,3'), [['a', 'b,"c"', 'd'], ['1', '2', '3']]);
  });
  it('reads a folder reached twice through links once: a link loop does not repeat its images', async () => {
    const looped = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-loop-'));
    try {
      await fs.mkdir(path.join(looped, 'live'));
      await fs.writeFile(path.join(looped, 'live', 'a.png'), '');
      await fs.symlink('..', path.join(looped, 'live', 'up'));
      await fs.symlink('.', path.join(looped, 'live', 'here'));
      const set = await readDataset(looped);
      assert.deepEqual(set.liveness.map((i) => path.basename(i.path)), ['a.png']);
    } finally {
      await fs.rm(looped, { recursive: true, force: true });
    }
  });

  it('CSV lists: species in any case are one species, listed files must exist, rows are numbered as in the file', async () => {
    const listed = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-dataset-csv-'));
    try {
      for (const f of ['p1.jpg', 'p2.jpg', 'l.jpg']) await fs.writeFile(path.join(listed, f), '');
      const csv = path.join(listed, 'list.csv');
      await fs.writeFile(csv, 'path,label,species\np1.jpg,attack,Print\np2.jpg,Spoof_PRINT,\nl.jpg,live,\n');
      const set = await readDataset(csv);
      assert.deepEqual(set.species, ['print']);
      assert.deepEqual(set.liveness.map((i) => [path.basename(i.path), i.species]), [['l.jpg', ''], ['p1.jpg', 'print'], ['p2.jpg', 'print']]);

      await fs.writeFile(csv, 'path,label\nl.jpg,live\nmissing.jpg,live\n.,attack\n');
      await assert.rejects(readDataset(csv), (err: Error) => err instanceof DatasetLabelError && /2 file\(s\) listed .* missing or not files: "missing\.jpg", /.test(err.message));
      await fs.writeFile(csv, 'path,label\nl.jpg,live\nl.jpg,alive\n');
      await assert.rejects(readDataset(csv), (err: Error) => err instanceof DatasetLabelError && /row 3\b/.test(err.message), 'the header is row 1');
      await assert.rejects(readDataset(path.join(listed, 'nowhere')), (err: Error) => err instanceof DatasetLabelError && /does not exist/.test(err.message));
    } finally {
      await fs.rm(listed, { recursive: true, force: true });
    }
  });
});
