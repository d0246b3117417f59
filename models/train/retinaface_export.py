"""Re-exports RetinaFace MobileNet-0.25 (biubug6/Pytorch_Retinaface architecture, MIT) from its PyTorch
weights to ONNX with a dynamic input size, so the engine can letterbox any image shape to a small input.

Output `output0` [1, priors, 16] keeps the published ONNX export's layout: box deltas (4), class logits
(2: background, face), landmark deltas (10). Usage:
  /usr/bin/python3 models/train/retinaface_export.py WEIGHTS.pth OUT.onnx
  node dist/models/train/check-parity.js OUT.onnx 1 3 256 320    (PyTorch against onnxruntime-node)
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(inp, oup, stride=1, leaky=0.0):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup),
                         nn.LeakyReLU(negative_slope=leaky, inplace=True))


def conv_bn_no_relu(inp, oup, stride):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup))


def conv_bn1x1(inp, oup, stride, leaky=0.0):
    return nn.Sequential(nn.Conv2d(inp, oup, 1, stride, 0, bias=False), nn.BatchNorm2d(oup),
                         nn.LeakyReLU(negative_slope=leaky, inplace=True))


def conv_dw(inp, oup, stride, leaky=0.1):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
        nn.LeakyReLU(negative_slope=leaky, inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup),
        nn.LeakyReLU(negative_slope=leaky, inplace=True))


class SSH(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        leaky = 0.1 if cout <= 64 else 0.0
        self.conv3X3 = conv_bn_no_relu(cin, cout // 2, 1)
        self.conv5X5_1 = conv_bn(cin, cout // 4, 1, leaky)
        self.conv5X5_2 = conv_bn_no_relu(cout // 4, cout // 4, 1)
        self.conv7X7_2 = conv_bn(cout // 4, cout // 4, 1, leaky)
        self.conv7x7_3 = conv_bn_no_relu(cout // 4, cout // 4, 1)

    def forward(self, x):
        c3 = self.conv3X3(x)
        c5_1 = self.conv5X5_1(x)
        c5 = self.conv5X5_2(c5_1)
        c7 = self.conv7x7_3(self.conv7X7_2(c5_1))
        return F.relu(torch.cat([c3, c5, c7], dim=1))


class FPN(nn.Module):
    def __init__(self, cins, cout):
        super().__init__()
        leaky = 0.1 if cout <= 64 else 0.0
        self.output1 = conv_bn1x1(cins[0], cout, 1, leaky)
        self.output2 = conv_bn1x1(cins[1], cout, 1, leaky)
        self.output3 = conv_bn1x1(cins[2], cout, 1, leaky)
        self.merge1 = conv_bn(cout, cout, leaky=leaky)
        self.merge2 = conv_bn(cout, cout, leaky=leaky)

    def forward(self, feats):
        o1, o2, o3 = self.output1(feats[0]), self.output2(feats[1]), self.output3(feats[2])
        o2 = self.merge2(o2 + F.interpolate(o3, size=[o2.size(2), o2.size(3)], mode='nearest'))
        o1 = self.merge1(o1 + F.interpolate(o2, size=[o1.size(2), o1.size(3)], mode='nearest'))
        return [o1, o2, o3]


class MobileNetV1(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn(3, 8, 2, leaky=0.1), conv_dw(8, 16, 1), conv_dw(16, 32, 2),
                                    conv_dw(32, 32, 1), conv_dw(32, 64, 2), conv_dw(64, 64, 1))
        self.stage2 = nn.Sequential(conv_dw(64, 128, 2), *[conv_dw(128, 128, 1) for _ in range(5)])
        self.stage3 = nn.Sequential(conv_dw(128, 256, 2), conv_dw(256, 256, 1))


class Head(nn.Module):
    def __init__(self, cin, per_anchor, anchors=2):
        super().__init__()
        self.conv1x1 = nn.Conv2d(cin, anchors * per_anchor, 1)
        self.per_anchor = per_anchor

    def forward(self, x):
        out = self.conv1x1(x).permute(0, 2, 3, 1).contiguous()
        return out.view(out.shape[0], -1, self.per_anchor)


class RetinaFace(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = MobileNetV1()
        self.fpn = FPN([64, 128, 256], 64)
        self.ssh1, self.ssh2, self.ssh3 = SSH(64, 64), SSH(64, 64), SSH(64, 64)
        self.ClassHead = nn.ModuleList([Head(64, 2) for _ in range(3)])
        self.BboxHead = nn.ModuleList([Head(64, 4) for _ in range(3)])
        self.LandmarkHead = nn.ModuleList([Head(64, 10) for _ in range(3)])

    def forward(self, x):
        s1 = self.body.stage1(x)
        s2 = self.body.stage2(s1)
        s3 = self.body.stage3(s2)
        fpn = self.fpn([s1, s2, s3])
        feats = [self.ssh1(fpn[0]), self.ssh2(fpn[1]), self.ssh3(fpn[2])]
        boxes = torch.cat([h(f) for h, f in zip(self.BboxHead, feats)], dim=1)
        logits = torch.cat([h(f) for h, f in zip(self.ClassHead, feats)], dim=1)
        marks = torch.cat([h(f) for h, f in zip(self.LandmarkHead, feats)], dim=1)
        return torch.cat([boxes, logits, marks], dim=2)


def load(weights):
    state = torch.load(weights, map_location='cpu')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    state = {k: v for k, v in state.items() if not k.startswith('body.fc') and not k.startswith('body.avg')}
    model = RetinaFace()
    model.load_state_dict(state, strict=True)
    return model.eval()


def main():
    if len(sys.argv) != 3 or sys.argv[1] in ('-h', '--help'):
        sys.exit(__doc__)
    weights, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = load(weights)
    dummy = torch.zeros(1, 3, 320, 320)
    torch.onnx.export(model, dummy, out, input_names=['input'], output_names=['output0'], opset_version=13,
                      dynamic_axes={'input': {2: 'height', 3: 'width'}, 'output0': {1: 'priors'}},
                      do_constant_folding=True)
    # Reference tensors for the parity check against onnxruntime-node (check-parity.js, run by the
    # caller): the engine's own input size, 256x320, as OUT.onnx.parity-in.bin / -out.bin.
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 256, 320, generator=g) * 255 - 117
    with torch.no_grad():
        y = model(x)
    x.numpy().astype('float32').tofile(f'{out}.parity-in.bin')
    y.numpy().astype('float32').tofile(f'{out}.parity-out.bin')
    print('exported', out)


if __name__ == '__main__':
    main()
