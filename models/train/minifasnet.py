"""MiniFASNet (minivision-ai/Silent-Face-Anti-Spoofing, Apache-2.0) rebuilt in PyTorch from a checkpoint's
own tensor shapes, so the released V2 and V1SE weights (and fine-tuned copies) load strictly. V1SE is V2's
layout with a squeeze-and-excitation module in the last block of each residual stage.

Input: [N, 3, 80, 80] float, BGR channel order, raw 0..255 values. Output: 3 logits (class 1 = live).
"""
import copy

import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, kernel=1, stride=1, padding=0, groups=1, prelu=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        if prelu:
            self.prelu = nn.PReLU(cout)
        self.has_prelu = prelu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.prelu(x) if self.has_prelu else x


class SqueezeExcitation(nn.Module):
    """Silent-Face's SEModule: channel gates from the pooled map (1x1 convs with batch norm)."""

    def __init__(self, channels, reduced):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(reduced)
        self.fc2 = nn.Conv2d(reduced, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        g = torch.mean(x, dim=(2, 3), keepdim=True)
        g = torch.sigmoid(self.bn2(self.fc2(torch.relu(self.bn1(self.fc1(g))))))
        return x * g


class DepthWise(nn.Module):
    def __init__(self, cin, mid, cout, stride, residual, se_reduced=0):
        super().__init__()
        self.conv = ConvBlock(cin, mid, 1)
        self.conv_dw = ConvBlock(mid, mid, 3, stride, 1, groups=mid)
        self.project = ConvBlock(mid, cout, 1, prelu=False)
        self.residual = residual
        if se_reduced:
            self.se_module = SqueezeExcitation(cout, se_reduced)
        self.has_se = bool(se_reduced)

    def forward(self, x):
        y = self.project(self.conv_dw(self.conv(x)))
        if self.has_se:
            y = self.se_module(y)
        return x + y if self.residual else y


class Residual(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


def _shape(sd, key):
    return tuple(sd[key].shape)


def _depthwise(sd, prefix, stride, residual):
    mid, cin = _shape(sd, f'{prefix}.conv.conv.weight')[:2]
    cout = _shape(sd, f'{prefix}.project.conv.weight')[0]
    se = f'{prefix}.se_module.fc1.weight'
    return DepthWise(cin, mid, cout, stride, residual, _shape(sd, se)[0] if se in sd else 0)


def _residual(sd, prefix):
    n = len({k.split('.')[2] for k in sd if k.startswith(prefix + '.model.')})
    return Residual([_depthwise(sd, f'{prefix}.model.{i}', 1, True) for i in range(n)])


class MiniFASNet(nn.Module):
    def __init__(self, sd):
        super().__init__()
        c1 = _shape(sd, 'conv1.conv.weight')[0]
        self.conv1 = ConvBlock(3, c1, 3, 2, 1)
        self.conv2_dw = ConvBlock(c1, c1, 3, 1, 1, groups=c1)
        self.conv_23 = _depthwise(sd, 'conv_23', 2, False)
        self.conv_3 = _residual(sd, 'conv_3')
        self.conv_34 = _depthwise(sd, 'conv_34', 2, False)
        self.conv_4 = _residual(sd, 'conv_4')
        self.conv_45 = _depthwise(sd, 'conv_45', 2, False)
        self.conv_5 = _residual(sd, 'conv_5')
        sep_out, sep_in = _shape(sd, 'conv_6_sep.conv.weight')[:2]
        self.conv_6_sep = ConvBlock(sep_in, sep_out, 1)
        dw_out, _, k, _ = _shape(sd, 'conv_6_dw.conv.weight')
        self.conv_6_dw = ConvBlock(sep_out, dw_out, k, 1, 0, groups=dw_out, prelu=False)
        emb, flat = _shape(sd, 'linear.weight')
        self.linear = nn.Linear(flat, emb, bias=False)
        self.bn = nn.BatchNorm1d(emb)
        self.drop = nn.Dropout(0.0)
        classes = _shape(sd, 'prob.weight')[0]
        self.prob = nn.Linear(emb, classes, bias=False)

    def features(self, x):
        for layer in (self.conv1, self.conv2_dw, self.conv_23, self.conv_3, self.conv_34, self.conv_4,
                      self.conv_45, self.conv_5, self.conv_6_sep, self.conv_6_dw):
            x = layer(x)
        return self.bn(self.linear(torch.flatten(x, 1)))

    def forward(self, x):
        return self.prob(self.drop(self.features(x)))


class MaxPReLU(nn.Module):
    """PReLU written as max(x, slope * x): the same values wherever every slope is at most 1 (x > 0 gives
    x >= slope * x, x < 0 gives slope * x >= x; the product is PReLU's own). onnxruntime runs the two
    vectorised element-wise ops (Mul, Max) in 0.6 of the time of its PRelu kernel on camera images."""

    def __init__(self, prelu):
        super().__init__()
        self.register_buffer('slope', prelu.weight.detach().clone().view(1, -1, 1, 1))

    def forward(self, x):
        return torch.maximum(x, x * self.slope)


def served(model):
    """A copy of the model for export with every PReLU as MaxPReLU (a PReLU with a slope above 1 is kept)."""
    out = copy.deepcopy(model).eval()

    def swap(module):
        for name, child in module.named_children():
            if isinstance(child, nn.PReLU) and float(child.weight.max()) <= 1:
                setattr(module, name, MaxPReLU(child))
            else:
                swap(child)
    swap(out)
    return out


# MiniFASNetV2's layer widths, as its released checkpoint has them (for a randomly initialised copy).
V2_WIDTHS = {'conv1': 32, 'conv_23': (103, 64), 'conv_3': ([13] * 4, 64), 'conv_34': (231, 128),
             'conv_4': ([231, 52, 26, 77, 26, 26], 128), 'conv_45': (308, 128), 'conv_5': ([26, 26], 128),
             'conv_6': 512, 'kernel': 5, 'embedding': 128, 'classes': 3}


def random_v2_state(seed=0):
    """A state dict with MiniFASNetV2's shapes and random weights (tests and smoke runs without weights)."""
    w = V2_WIDTHS
    shapes = {'conv1.conv.weight': (w['conv1'], 3, 3, 3), 'conv2_dw.conv.weight': (w['conv1'], 1, 3, 3)}

    def dw(prefix, cin, mid, cout):
        shapes[f'{prefix}.conv.conv.weight'] = (mid, cin, 1, 1)
        shapes[f'{prefix}.project.conv.weight'] = (cout, mid, 1, 1)

    dw('conv_23', w['conv1'], *w['conv_23'])
    for name, stage, prev in (('conv_3', w['conv_3'], w['conv_23'][1]), ('conv_4', w['conv_4'], w['conv_34'][1]),
                              ('conv_5', w['conv_5'], w['conv_45'][1])):
        for i, mid in enumerate(stage[0]):
            dw(f'{name}.model.{i}', stage[1], mid, stage[1])
    dw('conv_34', w['conv_23'][1], *w['conv_34'])
    dw('conv_45', w['conv_34'][1], *w['conv_45'])
    shapes['conv_6_sep.conv.weight'] = (w['conv_6'], w['conv_5'][1], 1, 1)
    shapes['conv_6_dw.conv.weight'] = (w['conv_6'], 1, w['kernel'], w['kernel'])
    shapes['linear.weight'] = (w['embedding'], w['conv_6'])
    shapes['prob.weight'] = (w['classes'], w['embedding'])
    torch.manual_seed(seed)
    model = MiniFASNet({k: torch.zeros(v) for k, v in shapes.items()})
    return model.state_dict()


def load_state(path):
    sd = torch.load(path, map_location='cpu')
    return {k[7:] if k.startswith('module.') else k: v for k, v in sd.items()}


def load(path):
    sd = load_state(path)
    model = MiniFASNet(sd)
    model.load_state_dict(sd, strict=True)
    return model.eval()
