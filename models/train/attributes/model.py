"""The attribute classifier: a small CNN on the landmark-aligned face (96x96 by default), one logit per label."""

import torch
from torch import nn


def block(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class AttributeNet(nn.Module):
    def __init__(self, labels=5, size=96):
        super().__init__()
        if size % 16:
            raise ValueError(f"crop size {size} is not a multiple of 16")
        self.features = nn.Sequential(
            block(3, 24, stride=2),            # size / 2
            block(24, 48, stride=2),           # size / 4
            block(48, 48), nn.MaxPool2d(2),    # size / 8
            block(48, 96), block(96, 96),      # a second block at this scale: the mask and eyeglasses cues
            nn.MaxPool2d(2),                   # size / 16 (6x6 at 96): keeps where on the face a cue is
        )
        grid = size // 16
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(96 * grid * grid, labels))

    def forward(self, x):
        return self.head(self.features(x))


class Calibrated(nn.Module):
    """The trained net with per-label Platt scaling and the sigmoid: outputs calibrated probabilities."""

    def __init__(self, net, scale, bias):
        super().__init__()
        self.net = net
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("bias", torch.tensor(bias, dtype=torch.float32))

    def forward(self, x):
        return torch.sigmoid(self.net(x) * self.scale + self.bias)
