"""Group DRO over training sources (Sagawa et al., ICLR 2020): each source keeps a weight that grows with its
recent loss (exponentiated gradient ascent), and the batch loss is the weighted mean of the sources' losses, so
training spends its effort on the sources it currently fits worst, the way a new camera would be met."""
import numpy as np
import torch
import torch.nn.functional as F


class GroupDRO:
    """Source weights q (summing to 1) and the weighted loss of a batch; eta is the weights' step size."""

    def __init__(self, groups, eta):
        self.q = torch.full((groups,), 1.0 / groups)
        self.eta = eta

    def loss(self, logits, targets, group_ids, smoothing=0.0):
        per_face = F.cross_entropy(logits, targets, reduction='none', label_smoothing=smoothing)
        ids = torch.from_numpy(np.asarray(group_ids, dtype=np.int64))
        present = torch.unique(ids)
        group_loss = torch.stack([per_face[ids == g].mean() for g in present])
        with torch.no_grad():
            self.q[present] = self.q[present] * torch.exp(self.eta * group_loss.detach())
            self.q /= self.q.sum()
        weights = self.q[present] / self.q[present].sum()
        return (weights * group_loss).sum()
