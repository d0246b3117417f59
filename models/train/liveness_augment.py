"""Photometric and geometric augmentation of uint8 RGB face crops, seeded: what varies between cameras,
screens and printers (exposure, colour, blur, resolution, JPEG, noise, framing), never the label."""
import io

import numpy as np
from PIL import Image, ImageFilter


def augment(crop, rng):
    """One augmented copy of an HxWx3 uint8 RGB crop."""
    h, w = crop.shape[:2]
    img = Image.fromarray(crop)
    if rng.rand() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    if rng.rand() < 0.7:  # framing: zoom in up to 15 % and shift a little
        z = rng.uniform(0.85, 1.0)
        cw, ch = w * z, h * z
        x0 = rng.uniform(0, w - cw)
        y0 = rng.uniform(0, h - ch)
        img = img.resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
    if rng.rand() < 0.3:  # resolution: down and up again
        s = rng.uniform(0.4, 0.8)
        img = img.resize((max(8, int(w * s)), max(8, int(h * s))), Image.BILINEAR).resize((w, h), Image.BILINEAR)
    if rng.rand() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 1.2)))
    x = np.asarray(img).astype(np.float32)
    if rng.rand() < 0.8:  # exposure, contrast, gamma, colour balance, saturation
        x = x * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25)
        mean = x.mean()
        x = (x - mean) * rng.uniform(0.75, 1.25) + mean
        x = x * rng.uniform(0.9, 1.1, size=(1, 1, 3))
        grey = x.mean(axis=2, keepdims=True)
        x = grey + (x - grey) * rng.uniform(0.6, 1.3)
        x = np.clip(x, 0, 255)
        x = 255.0 * (x / 255.0) ** rng.uniform(0.8, 1.25)
    if rng.rand() < 0.2:
        x = x + rng.normal(0, rng.uniform(2, 6), size=x.shape)
    x = np.clip(x, 0, 255).astype(np.uint8)
    if rng.rand() < 0.4:
        buf = io.BytesIO()
        Image.fromarray(x).save(buf, format='JPEG', quality=int(rng.uniform(35, 92)))
        x = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB'))
    return x


def amplitude_mix(x, partner, lam):
    """x (HxWx3 uint8) with its amplitude spectrum mixed, by weight lam, with partner's; x's phase kept
    (Fourier-based domain generalisation: a camera's colour, contrast and noise spectrum stop naming it,
    the face's structure stays). Measured for the liveness models and not used (model card)."""
    fx = np.fft.fft2(x.astype(np.float32), axes=(0, 1))
    fp = np.fft.fft2(partner.astype(np.float32), axes=(0, 1))
    amplitude = (1 - lam) * np.abs(fx) + lam * np.abs(fp)
    out = np.real(np.fft.ifft2(amplitude * np.exp(1j * np.angle(fx)), axes=(0, 1)))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def mix_amplitudes(copies, originals, sources, classes, rng, p, max_lam=0.5):
    """Amplitude-mixes each augmented face with probability p, with the original crop of a face of the same
    class from another source (any source where its class has only one), by a weight drawn in [0, max_lam).
    Returns the new copies and each face's partner (-1: not mixed)."""
    out = copies.copy()
    by_class = {c: np.flatnonzero(classes == c) for c in np.unique(classes)}
    partners = np.full(len(out), -1)
    for i in range(len(out)):
        if rng.rand() >= p:
            continue
        members = by_class[classes[i]]
        others = members[sources[members] != sources[i]]
        pool = others if len(others) else members
        j = pool[rng.randint(len(pool))]
        out[i] = amplitude_mix(out[i], originals[j], rng.uniform(0, max_lam))
        partners[i] = j
    return out, partners
