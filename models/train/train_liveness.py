"""facelive's liveness training: MiniFASNetV2 (Silent-Face, Apache-2.0) with its early layers frozen and its
later layers fine-tuned on crops the engine exported, every choice validated with folds grouped by source.

Steps (each writes its results into WORK; models/train/train-liveness.sh runs them all):
  trunk     WORK CROPS RULE WEIGHTS [--copies K]   the frozen trunk as ONNX, and K-1 augmented copies of
                                                  the crops (trunk-features.ts then computes the features);
                                                  --amplitude-mix P mixes that share of the augmented faces'
                                                  amplitude spectra with another source's (measured, not used)
  cv        WORK NAME [--epochs E --lr LR ...]      grouped k-fold: out-of-fold live probabilities (and the
                                                  released model's, from the same features); k is
                                                  FACELIVE_TRAIN_FOLDS (6 by default), at most one fold
                                                  per source, and fewer than two sources stop the run
  final     WORK NAME OUT.onnx [same options]       train on every source, export ONNX (+ parity tensors)
  fuse      WORK NAME OUT.onnx --weights W          the final head and the released model in one ONNX
                                                  (--alone: the final model by itself, as probabilities)
Every step takes --frozen LAYER (conv_34 by default; conv_23 or conv2_dw fine-tune more blocks); the trunk's
features are stored per crop rule, so one WORK holds one depth per rule. cv and final take --mixstyle P (MixStyle
on that share of the batches; train-liveness.sh uses 0.5, chosen on the held-out folds) and --live-compact W (a
live-compactness loss, measured and not used), --style-norm 1 (StyleNorm, measured and not used), --source-adv W
(SSDG's source-adversarial loss on live faces, liveness_adversarial.py, measured and not used), --group-dro ETA
(Group DRO source weights, liveness_group_dro.py, measured and not used), --balance-framing 1|2 (live faces and
attacks weighed alike in every framing band, or framing x face-width band; measured and not used), --pairwise W (a
pairwise AUC loss over each batch's live and attack faces, measured and not used); cv also takes
--teacher NAMES --distill W (a loss towards a teacher's live probabilities, cv's --fold-scores giving each fold's own pack: the pack
distilled into one model, measured and not used). Crops of
another size than 80x80 (a rule's size in export-crops.ts) are read at that size, and final and fuse (--rule)
export files of that size.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from liveness_adversarial import SourceCritic, source_loss  # noqa: E402
from liveness_augment import augment, mix_amplitudes  # noqa: E402
from liveness_data import Crops, fold_count, framing_balanced, grouped_folds, weighted_mean  # noqa: E402
from liveness_group_dro import GroupDRO  # noqa: E402
from minifasnet import MiniFASNet, load_state, random_v2_state, served  # noqa: E402
from nchwc_layout import rewrite as nchwc_rewrite  # noqa: E402

LAYERS = ('conv1', 'conv2_dw', 'conv_23', 'conv_3', 'conv_34', 'conv_4', 'conv_45', 'conv_5', 'conv_6_sep', 'conv_6_dw')


def seed_everything(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_model(weights):
    sd = random_v2_state() if weights == 'random' else load_state(weights)
    model = MiniFASNet(sd)
    model.load_state_dict(sd, strict=True)
    return model


def add_frozen_option(parser):
    """--frozen LAYER: the last frozen layer (the trunk); every later layer is fine-tuned."""
    parser.add_argument('--frozen', choices=LAYERS[:-1], default='conv_34')


def feature_shape(weights, frozen, size=80):
    """The trunk's output shape for one size x size crop (channels, height, width), from the model itself."""
    with torch.no_grad():
        return tuple(trunk(load_model(weights).eval(), torch.zeros(1, 3, size, size), frozen).shape[1:])


def input_size(work, rule):
    """The crop size of a rule's exported crops (80 unless the rule says otherwise), from its meta file."""
    return json.load(open(os.path.join(work, f'meta_{rule}.json'))).get('size', 80)


def trunk_layers(frozen):
    return LAYERS[:LAYERS.index(frozen) + 1]


def head_layers(frozen):
    return LAYERS[LAYERS.index(frozen) + 1:]


def trunk(model, x, frozen):
    for name in trunk_layers(frozen):
        x = getattr(model, name)(x)
    return x


def embedding(model, x, frozen):
    if getattr(model, 'style', None) is not None:
        x = model.style(x)
    for name in head_layers(frozen):
        if name == 'conv_6_dw':
            x = fit_to_kernel(x, model.conv_6_dw.conv.kernel_size[0])
        x = getattr(model, name)(x)
    return model.bn(model.linear(torch.flatten(x, 1)))


def fit_to_kernel(x, k):
    """Crops larger than 80x80 leave a map larger than the final depthwise kernel: an average pool (stride 1)
    brings it to the kernel's size, so the released layers after it apply unchanged. 80x80 crops pass as they are."""
    extra = x.shape[-1] - k
    return F.avg_pool2d(x, kernel_size=extra + 1, stride=1) if extra > 0 else x


def head(model, x, frozen):
    return model.prob(model.drop(embedding(model, x, frozen)))


def mix_style(x, classes, rng, alpha):
    """MixStyle on trunk features: each face's per-channel mean and deviation mixed with those of another
    face of the same class in the batch (mostly another source, as the batch samples sources evenly)."""
    n = x.shape[0]
    partner = np.arange(n)
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        partner[members] = rng.permutation(members)
    mu = x.mean(dim=(2, 3), keepdim=True)
    sig = (x.var(dim=(2, 3), keepdim=True) + 1e-6).sqrt()
    lam = torch.from_numpy(rng.beta(alpha, alpha, size=(n, 1, 1, 1)).astype(np.float32))
    idx = torch.from_numpy(partner)
    return (x - mu) / sig * (lam * sig + (1 - lam) * sig[idx]) + lam * mu + (1 - lam) * mu[idx]


class StyleNorm(nn.Module):
    """Each face's per-channel trunk-feature mean and deviation replaced by fixed ones (the training faces'
    averages), in training and when served: the camera's feature statistics, which MixStyle only shuffles,
    removed (instance normalisation, as IBN-Net does for domain generalisation)."""

    def __init__(self, mu, sig):
        super().__init__()
        self.register_buffer('mu', torch.as_tensor(mu, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer('sig', torch.as_tensor(sig, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        m, s = channel_stats(x)
        return (x - m) / s * self.sig + self.mu


def channel_stats(x):
    """Each face's per-channel mean and (population) deviation over the feature map, N x C x 1 x 1 each."""
    m = x.mean(dim=(2, 3), keepdim=True)
    return m, ((x - m) ** 2).mean(dim=(2, 3), keepdim=True).add(1e-6).sqrt()


def style_of(feats):
    """The mean over faces of each face's per-channel feature mean and deviation (feats: N x C x H x W)."""
    stats = [channel_stats(torch.from_numpy(feats[sl].astype(np.float32))) for sl in batches(len(feats), 512)]
    return (torch.cat([m for m, _ in stats]).mean(0).flatten(), torch.cat([s for _, s in stats]).mean(0).flatten())


def live_compactness(emb, classes):
    """Mean squared distance of the batch's live embeddings (unit length) from their mean direction: live
    faces pulled together whatever their source, attacks left free (asymmetric, as in SSDG)."""
    live = emb[classes == 1]
    if live.shape[0] < 2:
        return emb.sum() * 0
    live = F.normalize(live, dim=1)
    centre = F.normalize(live.mean(dim=0, keepdim=True), dim=1).detach()
    return ((live - centre) ** 2).sum(dim=1).mean()


def batches(n, size):
    for i in range(0, n, size):
        yield slice(i, min(n, i + size))


class Trunk(nn.Module):
    """The frozen early layers alone, exported so onnxruntime computes the features (much faster on CPU)."""

    def __init__(self, model, frozen):
        super().__init__()
        self.model = model
        self.frozen = frozen

    def forward(self, x):
        return trunk(self.model, x, self.frozen)


def cmd_trunk(args):
    """Exports the frozen trunk to ONNX and writes K-1 augmented copies of the crops as uint8 files."""
    model = load_model(args.weights).eval()
    out = os.path.join(args.work, f'trunk_{args.rule}.onnx')
    crops = Crops(args.crops, args.rule)
    fold_count(crops.sources)  # stops here, before any work, where grouped folds cannot be made
    size = crops.images.shape[1]
    torch.onnx.export(Trunk(model, args.frozen), torch.zeros(1, 3, size, size), out, input_names=['input'], output_names=['features'],
                      opset_version=13, dynamic_axes={'input': {0: 'batch'}, 'features': {0: 'batch'}})
    write_meta(args.work, args.rule, crops)
    rng = np.random.RandomState(args.seed)
    # Its own generator, so that the augmented copies are the same with and without amplitude mixing.
    mix_rng = np.random.RandomState(args.seed + 7)
    for copy in range(1, args.copies):
        images = np.stack([augment(c, rng) for c in crops.images])
        note = ''
        if args.amplitude_mix > 0:
            images, partners = mix_amplitudes(images, crops.images, crops.sources, crops.classes, mix_rng, args.amplitude_mix)
            note = f' ({int((partners >= 0).sum())} amplitude-mixed)'
        images.tofile(os.path.join(args.work, f'aug_{args.rule}_{copy}.u8'))
        print(f'augmented copy {copy} written{note}', flush=True)


def write_meta(work, rule, crops):
    meta = {'rule': rule, 'files': crops.files.tolist(), 'sources': crops.sources.tolist(),
            'labels': crops.labels.tolist(), 'classes': crops.classes.tolist(), 'framing': crops.framing.round(4).tolist(),
            'face_width': crops.face_width.round(1).tolist(),
            'skipped': len(crops.skipped),
            'size': int(crops.images.shape[1])}
    json.dump(meta, open(os.path.join(work, f'meta_{rule}.json'), 'w'))


def train_head(model, feats, classes, sources, args, seed, geometry=None, teacher=None):
    """Fine-tunes the head on trunk features (copies x N x C x H x W), sampling sources and labels evenly;
    geometry (framing_of) is each face's framing and face width, read by --balance-framing; teacher (N live
    probabilities) adds --distill times the binary cross-entropy of the live probability against it."""
    seed_everything(seed)
    if args.style_norm:
        model.style = StyleNorm(*style_of(feats[0]))
    for p in model.parameters():
        p.requires_grad = False
    params = []
    for name in head_layers(args.frozen) + ('linear', 'bn', 'prob'):
        for p in getattr(model, name).parameters():
            p.requires_grad = True
            params.append(p)
    names, source_ids = np.unique(sources, return_inverse=True)
    groups_of_params = [{'params': params, 'scale': 1.0}]
    critic = None
    if args.source_adv > 0:
        critic = SourceCritic(model.linear.out_features, len(names))
        groups_of_params.append({'params': list(critic.parameters()), 'scale': args.critic_lr_scale})
    opt = torch.optim.AdamW(groups_of_params, lr=args.lr, weight_decay=args.weight_decay)
    dro = GroupDRO(len(names), args.group_dro) if args.group_dro > 0 else None
    # Even sampling: each (source, class) group weighs the same, within it every face the same.
    groups = {}
    for i, key in enumerate(zip(sources, classes)):
        groups.setdefault(key, []).append(i)
    weights = np.zeros(len(classes))
    for members in groups.values():
        weights[members] = 1.0 / len(members)
    weights /= weights.sum()
    if args.balance_framing:
        assert geometry is not None, 'the meta file records no framing: run the trunk step again'
        widths = geometry[1] if args.balance_framing == 2 else None
        assert widths is None or not np.isnan(widths).any(), 'the meta file records no face widths: run the trunk step again'
        weights = framing_balanced(weights, geometry[0], (classes == 1).astype(np.int64), widths)
    steps = max(1, int(args.epochs * len(classes) // args.batch))
    total = steps
    rng = np.random.RandomState(seed)
    model.train()
    for step in range(steps):
        lr = args.lr * 0.5 * (1 + np.cos(np.pi * step / total))
        for g in opt.param_groups:
            g['lr'] = lr * g['scale']
        idx = rng.choice(len(classes), size=args.batch, p=weights)
        copy = rng.randint(0 if args.include_plain else 1, feats.shape[0], size=args.batch)
        x = torch.from_numpy(feats[copy, idx].astype(np.float32))
        y = torch.from_numpy(classes[idx])
        if args.mixstyle > 0 and rng.rand() < args.mixstyle:
            x = mix_style(x, classes[idx], rng, 0.1)
        emb = embedding(model, x, args.frozen)
        logits = model.prob(model.drop(emb))
        if dro is not None:
            loss = dro.loss(logits, y, source_ids[idx], args.smoothing)
        else:
            loss = F.cross_entropy(logits, y, label_smoothing=args.smoothing)
        if args.live_compact > 0:
            loss = loss + args.live_compact * live_compactness(emb, classes[idx])
        if args.pairwise > 0:
            loss = loss + args.pairwise * pairwise_auc_loss(logits, classes[idx])
        if teacher is not None and args.distill > 0:
            live = F.softmax(logits, dim=1)[:, 1].clamp(1e-6, 1 - 1e-6)
            loss = loss + args.distill * F.binary_cross_entropy(live, torch.from_numpy(teacher[idx].astype(np.float32)))
        if critic is not None:
            loss = loss + args.source_adv * source_loss(critic, emb, classes[idx], source_ids[idx], step / total)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def pairwise_auc_loss(logits, classes):
    """Mean softplus(attack score - live score) over every (live face, attack) pair of the batch, the score
    being the live log-odds: a smooth stand-in for 1 - AUC over the batch's faces, which come from many
    sources, so it presses on the orderings across cameras that a pooled AUC counts."""
    score = logits[:, 1] - torch.logsumexp(logits[:, [0, 2]], dim=1)
    live = torch.from_numpy(classes == 1)
    if not live.any() or live.all():
        return logits.sum() * 0
    return F.softplus(score[~live].unsqueeze(0) - score[live].unsqueeze(1)).mean()


def predict(model, feats, frozen):
    out = []
    with torch.no_grad():
        for sl in batches(len(feats), 256):
            x = torch.from_numpy(feats[sl].astype(np.float32))
            out.append(F.softmax(head(model, x, frozen), dim=1)[:, 1].numpy())
    return np.concatenate(out)


def load_features(work, rule, shape):
    """Trunk features (copies x N x C x H x W, float16) from the features_RULE_K.f32 files of trunk-features.ts."""
    meta = json.load(open(os.path.join(work, f'meta_{rule}.json')))
    copies = []
    k = 0
    while os.path.exists(os.path.join(work, f'features_{rule}_{k}.f32')):
        raw = np.fromfile(os.path.join(work, f'features_{rule}_{k}.f32'), dtype=np.float32)
        copies.append(raw.reshape(len(meta['sources']), *shape).astype(np.float16))
        k += 1
    return np.stack(copies), meta


def framing_of(meta):
    """Each face's framing (image size over face box) and face-box width, as a 2 x N array; meta files written
    before they were recorded give none."""
    if 'framing' not in meta:
        return None
    return np.array([meta['framing'], meta.get('face_width', [np.nan] * len(meta['framing']))])


def fold_teacher(args, n, k):
    """The teacher's live probabilities per fold (k folds x N): the weighted mean of fold-score files
    (folds_NAME.npy, each fold's model on every face, written by cv --fold-scores) and released-model
    scores (an N-vector, the same in every fold), as --teacher NAME[=W]... names them; None without it."""
    if not args.teacher:
        return None

    def load(name):
        path = os.path.join(args.work, f'folds_{name}.npy')
        scores = np.load(path) if os.path.exists(path) else np.load(os.path.join(args.work, f'{name}.npy'))[None, :].repeat(k, 0)
        assert scores.shape == (k, n), (name, scores.shape)
        return scores
    return weighted_mean(args.teacher, load)


def cmd_cv(args):
    torch.set_num_threads(args.threads)
    feats, meta = load_features(args.work, args.rule, feature_shape(args.weights, args.frozen, input_size(args.work, args.rule)))
    sources = np.array(meta['sources'])
    classes = np.array(meta['classes'], dtype=np.int64)
    geometry = framing_of(meta)
    k = fold_count(sources, note=True)
    folds = grouped_folds(sources, k, seed=0)
    zeroshot = os.path.join(args.work, f'zeroshot_{args.rule}.npy')
    if not os.path.exists(zeroshot):  # the released model, scored through the same features
        np.save(zeroshot, predict(load_model(args.weights).eval(), feats[0], args.frozen))
    oof = np.zeros(len(sources), dtype=np.float32)
    teacher = fold_teacher(args, len(sources), k)
    fold_scores = np.zeros((k, len(sources)), dtype=np.float32) if args.fold_scores else None
    started = time.time()
    for f in range(k):
        train = folds != f
        model = load_model(args.weights)
        train_head(model, feats[:, train], classes[train], sources[train], args, seed=args.seed + f, geometry=None if geometry is None else geometry[:, train],
                   teacher=None if teacher is None else teacher[f, train])
        if fold_scores is not None:
            fold_scores[f] = predict(model, feats[0], args.frozen)
            oof[~train] = fold_scores[f, ~train]
        else:
            oof[~train] = predict(model, feats[0, ~train], args.frozen)
        print(f'fold {f}: {(~train).sum()} held out ({len(set(sources[~train]))} sources), {time.time() - started:.0f} s', flush=True)
    np.save(os.path.join(args.work, f'oof_{args.name}.npy'), oof)
    if fold_scores is not None:
        np.save(os.path.join(args.work, f'folds_{args.name}.npy'), fold_scores)
    json.dump(vars(args), open(os.path.join(args.work, f'oof_{args.name}.json'), 'w'))


def cmd_final(args):
    torch.set_num_threads(args.threads)
    size = input_size(args.work, args.rule)
    feats, meta = load_features(args.work, args.rule, feature_shape(args.weights, args.frozen, size))
    sources = np.array(meta['sources'])
    classes = np.array(meta['classes'], dtype=np.int64)
    model = train_head(load_model(args.weights), feats, classes, sources, args, seed=args.seed, geometry=framing_of(meta))
    torch.save(model.state_dict(), os.path.join(args.work, f'final_{args.name}.pth'))
    export(TunedLiveness(model, args.frozen, probabilities=False), args.out, size)


class FusedLiveness(nn.Module):
    """The released model and the fine-tuned one share the frozen trunk: one trunk pass, two heads, and
    the mean of their class probabilities (the fusion chosen by grouped validation)."""

    def __init__(self, tuned, released, frozen):
        super().__init__()
        self.tuned = tuned
        self.released = released
        self.frozen = frozen

    def forward(self, x):
        features = trunk(self.released, x, self.frozen)
        tuned = F.softmax(head(self.tuned, features, self.frozen), dim=1)
        return (tuned + F.softmax(head(self.released, features, self.frozen), dim=1)) / 2


class TunedLiveness(nn.Module):
    """The fine-tuned model alone, giving class probabilities like FusedLiveness (a file without the released head)."""

    def __init__(self, tuned, frozen, probabilities=True):
        super().__init__()
        self.tuned = tuned
        self.frozen = frozen
        self.probabilities = probabilities

    def forward(self, x):
        logits = head(self.tuned, trunk(self.tuned, x, self.frozen), self.frozen)
        return F.softmax(logits, dim=1) if self.probabilities else logits


def cmd_fuse(args):
    """Exports the fine-tuned head fused with the released model (same trunk) as one ONNX file, or with
    --alone the fine-tuned model by itself (one head: cheaper, where the released head adds little)."""
    released = load_model(args.weights).eval()
    tuned = load_model(args.weights)
    state = torch.load(os.path.join(args.work, f'final_{args.name}.pth'), map_location='cpu')
    if 'style.mu' in state:
        tuned.style = StyleNorm(state['style.mu'].flatten(), state['style.sig'].flatten())
    tuned.load_state_dict(state, strict=True)
    tuned.eval()
    if args.alone:
        export(TunedLiveness(tuned, args.frozen), args.out, input_size(args.work, args.rule))
        return
    for name in trunk_layers(args.frozen):
        for a, b in zip(getattr(tuned, name).state_dict().values(), getattr(released, name).state_dict().values()):
            assert torch.equal(a, b), 'the trunk must be the released one'
    export(FusedLiveness(tuned, released, args.frozen), args.out, input_size(args.work, args.rule))


def export(model, out, size=80):
    """The ONNX file (PReLU exported as max(x, slope * x), see minifasnet.served, then laid out for onnxruntime's
    blocked kernels by nchwc_layout) and parity tensors: the PyTorch model's own outputs on seeded inputs, which
    onnxruntime must reproduce."""
    model.eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(served(model), dummy, out, input_names=['input'], output_names=['output'], opset_version=13,
                      dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}, do_constant_folding=True)
    nchwc_rewrite(out)
    g = torch.Generator().manual_seed(7)
    x = torch.rand(4, 3, size, size, generator=g) * 255
    with torch.no_grad():
        y = model(x)
    x.numpy().tofile(out + '.parity-in.bin')
    y.numpy().tofile(out + '.parity-out.bin')
    print('exported', out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    u = sub.add_parser('fuse')
    u.add_argument('work'); u.add_argument('name'); u.add_argument('out'); u.add_argument('--weights', required=True)
    u.add_argument('--alone', action='store_true', help='the fine-tuned model alone, without the released head')
    u.add_argument('--rule', default='s27', help="the crop rule trained on: the file takes its crops' size")
    add_frozen_option(u)
    t = sub.add_parser('trunk')
    t.add_argument('work'); t.add_argument('crops'); t.add_argument('rule'); t.add_argument('weights')
    t.add_argument('--copies', type=int, default=4); t.add_argument('--seed', type=int, default=0)
    t.add_argument('--amplitude-mix', type=float, default=0,
                   help="probability that an augmented face's amplitude spectrum is mixed with another source's (measured, not used)")
    add_frozen_option(t)
    for name in ('cv', 'final'):
        c = sub.add_parser(name)
        c.add_argument('work'); c.add_argument('name')
        if name == 'final':
            c.add_argument('out')
        c.add_argument('--rule', default='s27'); c.add_argument('--weights', required=True)
        c.add_argument('--epochs', type=float, default=3); c.add_argument('--lr', type=float, default=3e-4)
        c.add_argument('--batch', type=int, default=64); c.add_argument('--weight-decay', type=float, default=1e-4)
        c.add_argument('--smoothing', type=float, default=0.1); c.add_argument('--seed', type=int, default=0)
        c.add_argument('--include-plain', type=int, default=1); c.add_argument('--threads', type=int, default=1)
        c.add_argument('--mixstyle', type=float, default=0, help='probability of MixStyle on a batch (same class)')
        c.add_argument('--live-compact', type=float, default=0, help='weight of the live-compactness loss')
        c.add_argument('--style-norm', type=int, default=0, help='1: instance-normalise the trunk features to the training average (StyleNorm)')
        c.add_argument('--source-adv', type=float, default=0, help='weight of the single-side source-adversarial loss (SSDG) on live faces')
        c.add_argument('--balance-framing', type=int, default=0, help='1: live faces and attacks weigh the same in every framing band; 2: in every framing x face-width band')
        c.add_argument('--group-dro', type=float, default=0, help='step size of Group DRO source weights (0: the plain mean loss)')
        c.add_argument('--pairwise', type=float, default=0, help='weight of the pairwise AUC loss over the batch\'s live and attack faces')
        if name == 'cv':
            c.add_argument('--fold-scores', action='store_true', help="also save each fold's model's live probability on every face (folds_NAME.npy)")
            c.add_argument('--distill', type=float, default=0, help='weight of the distillation loss towards the --teacher live probabilities')
            c.add_argument('--teacher', nargs='*', default=[], help='the teacher, as fold-score names (folds_NAME.npy) or released scores (NAME.npy), NAME=W weighted')
        c.add_argument('--critic-lr-scale', type=float, default=10, help="the source critic's learning rate over the head's")
        add_frozen_option(c)
    args = p.parse_args()
    torch.set_num_threads(getattr(args, 'threads', 1))
    os.makedirs(args.work, exist_ok=True)
    {'trunk': cmd_trunk, 'fuse': cmd_fuse, 'cv': cmd_cv, 'final': cmd_final}[args.cmd](args)


if __name__ == '__main__':
    main()
