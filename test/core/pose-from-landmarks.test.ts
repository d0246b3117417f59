// The landmark pose fit: recovers known rotations of the mean face (exactly, and under pixel noise),
// and rejects a wrong number of points.

import assert from 'node:assert/strict';
import { MEAN_FACE_68, poseFromLandmarks, rotationFromPose } from '../../core/faces/pose-from-landmarks';
import type { HeadPose } from '../../core/faces/landmarks';
import type { Point } from '../../core/types';

/** The mean face rotated by `pose`, scaled to `size` pixels and projected orthographically at (cx, cy). */
function project(pose: HeadPose, size: number, cx: number, cy: number, noise = 0, seed = 1): Point[] {
  const r = rotationFromPose(pose);
  let state = seed;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  return MEAN_FACE_68.map(([x, y, z]) => ({
    x: cx + size * (r[0][0] * x + r[0][1] * y + r[0][2] * z) + noise * random(),
    y: cy + size * (r[1][0] * x + r[1][1] * y + r[1][2] * z) + noise * random(),
  }));
}

describe('pose from landmarks', () => {
  for (const pose of [{ yaw: 0, pitch: 0, roll: 0 }, { yaw: 30, pitch: -15, roll: 10 }, { yaw: -45, pitch: 20, roll: -25 }]) {
    it(`recovers yaw ${pose.yaw}, pitch ${pose.pitch}, roll ${pose.roll} from projected points`, () => {
      const found = poseFromLandmarks(project(pose, 80, 320, 240));
      assert.ok(Math.abs(found.yaw - pose.yaw) < 0.01, `yaw ${found.yaw}`);
      assert.ok(Math.abs(found.pitch - pose.pitch) < 0.01, `pitch ${found.pitch}`);
      assert.ok(Math.abs(found.roll - pose.roll) < 0.01, `roll ${found.roll}`);
    });
  }

  it('stays within a few degrees under 2 px of landmark noise on a 100 px face', () => {
    const pose = { yaw: 20, pitch: 10, roll: -5 };
    const found = poseFromLandmarks(project(pose, 100, 400, 300, 4));
    for (const key of ['yaw', 'pitch', 'roll'] as const) assert.ok(Math.abs(found[key] - pose[key]) < 4, `${key} ${found[key]}`);
  });

  it('tells a head turned one way from one turned the other', () => {
    const right = poseFromLandmarks(project({ yaw: 25, pitch: 0, roll: 0 }, 90, 300, 300));
    const left = poseFromLandmarks(project({ yaw: -25, pitch: 0, roll: 0 }, 90, 300, 300));
    assert.ok(right.yaw > 20 && left.yaw < -20, `${right.yaw} ${left.yaw}`);
  });

  it('rejects anything but 68 points', () => {
    assert.throws(() => poseFromLandmarks([{ x: 1, y: 2 }]), RangeError);
  });
});
