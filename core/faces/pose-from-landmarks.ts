// Head pose from the 68 landmarks alone: a scaled-orthographic fit (solvePnP-style, Gauss-Newton on
// rotation and scale) of a mean 3D face to the points. Measured against the pack's pose model it
// disagrees by about 10 degrees of yaw on average (bench/pose-agreement.ts; docs/speed.md), so the
// reported angles stay the model's; the quality check uses the fitted yaw as a second reading (the
// model reads some full profiles as frontal, and some frontal faces as turned): beyond
// quality.max_yaw_from_landmarks pose fails, and the model's yaw past max_yaw needs it to agree
// (core/checks/quality.ts, yawPasses).

import type { Point } from '../types';
import type { HeadPose } from './landmarks';

/**
 * Mean 3D face, 68 iBUG points (x right, y down, z away from the camera; unit RMS size), fitted by
 * alternating least squares to the landmarks of 784 development faces with the pose model's angles
 * as their rotations.
 */
export const MEAN_FACE_68: readonly (readonly [number, number, number])[] = [[-1.344,-0.639,-0.503],[-1.331,-0.304,-0.453],[-1.291,0.029,-0.417],[-1.224,0.356,-0.375],[-1.099,0.658,-0.309],[-0.901,0.912,-0.214],[-0.642,1.115,-0.107],[-0.348,1.268,-0.007],[-0.014,1.317,0.017],[0.316,1.276,-0.048],[0.599,1.129,-0.174],[0.846,0.93,-0.295],[1.038,0.678,-0.396],[1.159,0.38,-0.461],[1.23,0.06,-0.496],[1.275,-0.266,-0.535],[1.289,-0.596,-0.584],[-1.086,-0.943,-0.115],[-0.916,-1.107,-0.044],[-0.671,-1.159,0.02],[-0.421,-1.124,0.071],[-0.188,-1.027,0.108],[0.227,-1.012,0.118],[0.457,-1.097,0.064],[0.701,-1.121,-0.007],[0.936,-1.062,-0.089],[1.091,-0.897,-0.168],[0.017,-0.724,0.14],[0.019,-0.509,0.22],[0.022,-0.301,0.308],[0.023,-0.085,0.39],[-0.265,0.097,0.224],[-0.13,0.135,0.252],[0.014,0.171,0.267],[0.155,0.142,0.239],[0.288,0.109,0.2],[-0.824,-0.673,-0.052],[-0.673,-0.74,-0.015],[-0.502,-0.738,-0.001],[-0.349,-0.641,0.008],[-0.511,-0.611,0.011],[-0.684,-0.615,-0.004],[0.363,-0.625,-0.006],[0.519,-0.713,-0.024],[0.688,-0.709,-0.045],[0.832,-0.637,-0.087],[0.695,-0.585,-0.032],[0.524,-0.589,-0.01],[-0.495,0.531,0.071],[-0.303,0.434,0.18],[-0.117,0.38,0.242],[0.01,0.415,0.243],[0.136,0.386,0.229],[0.313,0.45,0.148],[0.492,0.555,0.021],[0.314,0.687,0.122],[0.143,0.742,0.191],[0.005,0.751,0.209],[-0.134,0.736,0.206],[-0.311,0.672,0.157],[-0.416,0.535,0.088],[-0.123,0.509,0.216],[0.008,0.524,0.223],[0.136,0.516,0.204],[0.413,0.556,0.045],[0.137,0.568,0.196],[0.006,0.578,0.214],[-0.125,0.562,0.209]] as const;

type Vec3 = [number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

const mul = (a: Mat3, b: Mat3): Mat3 => a.map((r) => [0, 1, 2].map((j) => r[0] * b[0][j]! + r[1] * b[1][j]! + r[2] * b[2][j]!)) as Mat3;

/** Rotation matrix of the axis-angle vector w (Rodrigues). */
function rotation(w: Vec3): Mat3 {
  const theta = Math.hypot(w[0], w[1], w[2]);
  if (theta < 1e-12) return [[1, -w[2], w[1]], [w[2], 1, -w[0]], [-w[1], w[0], 1]];
  const [x, y, z] = w.map((v) => v / theta) as Vec3;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const k = 1 - c;
  return [
    [c + x * x * k, x * y * k - z * s, x * z * k + y * s],
    [y * x * k + z * s, c + y * y * k, y * z * k - x * s],
    [z * x * k - y * s, z * y * k + x * s, c + z * z * k],
  ];
}

/** Solves the 4x4 system a x = b (Gaussian elimination with partial pivoting). */
function solve4(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= 4; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[4]! / row[i]!);
}

const centredShape: Vec3[] = (() => {
  const mean = [0, 1, 2].map((k) => MEAN_FACE_68.reduce((s, p) => s + p[k]!, 0) / MEAN_FACE_68.length);
  return MEAN_FACE_68.map((p) => [p[0] - mean[0]!, p[1] - mean[1]!, p[2] - mean[2]!] as Vec3);
})();

/** The rotation (image axes) and scale that best project the mean face onto the 68 points. */
export function fitRotation(points: readonly Point[], iterations = 12): { rotation: Mat3; scale: number } {
  if (points.length !== centredShape.length) throw new RangeError(`Expected 68 points but received ${points.length}.`);
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const xs = points.map((p) => [p.x - mx, p.y - my] as const);
  let r: Mat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  let scale = Math.sqrt(xs.reduce((s, [x, y]) => s + x * x + y * y, 0) / centredShape.reduce((s, p) => s + p[0] * p[0] + p[1] * p[1], 0));
  for (let it = 0; it < iterations; it++) {
    const h = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
    const g = [0, 0, 0, 0];
    centredShape.forEach((p, i) => {
      const cross: Mat3 = [[0, -p[2], p[1]], [p[2], 0, -p[0]], [-p[1], p[0], 0]];
      const rc = mul(r, cross);
      for (let row = 0; row < 2; row++) {
        const u = r[row]![0] * p[0] + r[row]![1] * p[1] + r[row]![2] * p[2];
        const e = scale * u - xs[i]![row]!;
        // d(s R p) / d(delta) for R <- R exp([delta]x) is -s R [p]x; d / d(scale) is R p.
        const j = [-scale * rc[row]![0], -scale * rc[row]![1], -scale * rc[row]![2], u];
        for (let a = 0; a < 4; a++) {
          g[a]! += j[a]! * e;
          for (let b = 0; b < 4; b++) h[a]![b]! += j[a]! * j[b]!;
        }
      }
    });
    for (let a = 0; a < 4; a++) h[a]![a]! *= 1.0001;
    const step = solve4(h, g.map((v) => -v));
    r = mul(r, rotation([step[0]!, step[1]!, step[2]!]));
    scale += step[3]!;
    if (Math.hypot(step[0]!, step[1]!, step[2]!) < 1e-7) break;
  }
  return { rotation: r, scale };
}

const DEG = 180 / Math.PI;

/** Yaw, pitch, roll in degrees, in the pose model's convention: R = Rx(pitch) Ry(-yaw) Rz(roll). */
export function poseFromRotation(r: Mat3): HeadPose {
  const b = Math.asin(Math.max(-1, Math.min(1, r[0][2])));
  return { yaw: -b * DEG, pitch: Math.atan2(-r[1][2], r[2][2]) * DEG, roll: Math.atan2(-r[0][1], r[0][0]) * DEG };
}

/** Head pose from 68 iBUG landmarks (image pixels). */
export function poseFromLandmarks(points: readonly Point[]): HeadPose {
  return poseFromRotation(fitRotation(points).rotation);
}

/** The rotation R = Rx(pitch) Ry(-yaw) Rz(roll) of a pose (degrees), for tests and tools. */
export function rotationFromPose({ yaw, pitch, roll }: HeadPose): Mat3 {
  const [p, y, q] = [pitch / DEG, -yaw / DEG, roll / DEG];
  const rx: Mat3 = [[1, 0, 0], [0, Math.cos(p), -Math.sin(p)], [0, Math.sin(p), Math.cos(p)]];
  const ry: Mat3 = [[Math.cos(y), 0, Math.sin(y)], [0, 1, 0], [-Math.sin(y), 0, Math.cos(y)]];
  const rz: Mat3 = [[Math.cos(q), -Math.sin(q), 0], [Math.sin(q), Math.cos(q), 0], [0, 0, 1]];
  return mul(mul(rx, ry), rz);
}
