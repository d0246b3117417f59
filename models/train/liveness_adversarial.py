"""Single-side source-adversarial training (SSDG, Jia et al., CVPR 2020): a critic learns to tell which source a
live face's embedding came from, and the head learns, through a reversed gradient, to leave it unable to, so that
live faces of every camera share one feature distribution; attacks are left free to differ by source."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


class SourceCritic(nn.Module):
    """Two layers over the embedding, one output per training source."""

    def __init__(self, width, sources):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, sources))

    def forward(self, emb, scale):
        return self.net(ReverseGradient.apply(emb, scale))


def ramp(progress):
    """DANN's schedule for the reversed gradient: 0 at the start of training, near 1 at its end."""
    return float(2.0 / (1.0 + np.exp(-10.0 * progress)) - 1.0)


def source_loss(critic, emb, classes, source_ids, progress):
    """Cross-entropy of the critic on the batch's live faces (class 1), its gradient reversed into the head."""
    live = classes == 1
    if live.sum() < 2:
        return emb.sum() * 0
    logits = critic(emb[torch.from_numpy(live)], ramp(progress))
    return F.cross_entropy(logits, torch.from_numpy(source_ids[live]))
