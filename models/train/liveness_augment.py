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
