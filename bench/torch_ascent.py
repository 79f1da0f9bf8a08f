#!/usr/bin/python3
"""Peer speed baseline: activation-maximization (gradient ascent on the input).

Classic algorithm from the Keras blog post "How convolutional neural networks
see the world" (F. Chollet, 2016):
  * input starts as gray + noise (random * 20 + 128, on a 0..255 scale),
  * objective = mean activation of channel k of one conv layer (post-ReLU,
    like a Keras Conv2D(activation='relu') output),
  * gradient w.r.t. the input, normalized by its RMS (per image):
        g /= sqrt(mean(g^2)) + 1e-5
  * input += step * g   (step = 1.0).
Optional regularizers (off by default): L2 decay (x *= 1 - decay each step)
and a gaussian blur applied every --blur-every steps.

Models (random init, fixed seed; nothing is downloaded):
  * vgg16: torchvision.models.vgg16(weights=None).features, truncated just
    after the ReLU of the requested conv layer.  Keras-style layer names
    block{b}_conv{c} (default block5_conv1 = features[24] conv, output taken
    after features[25] ReLU).
  * lenet: conv32-conv32-pool-conv64-conv64-pool-dense(10), 3x3 'valid'
    convs, input 28x28x1.  Layer names conv1..conv4 (post-ReLU) or dense.
  * mobilenet_v2: torchvision.models.mobilenet_v2(weights=None).features up
    to Keras' out_relu (the last 1280-channel map; the only layer name taken),
    batch norms in eval mode.  Default size 224.
  * inception_v3: torchvision.models.inception_v3(weights=None) up to a Keras
    mixedN block (mixed0 = Mixed_5b ... mixed10 = Mixed_7c, the default),
    batch norms in eval mode.  Default size 299.

FilterScope's copy of ../shared/bench/torch_ascent.py (which has vgg16 and
lenet only), extended with the two real-network architectures above.

--batch N optimizes N different filters in one minibatch: image i maximizes
filter (first_filter + i).  The loss is the sum over images of their own
objective, so every image gets exactly its own gradient.

Only the input requires grad (model parameters are frozen) unless
--param-grads is given, which also computes weight gradients (like a
framework that always back-propagates into the parameters).

Output: the last line is
  torch steps_per_s=<x> filters_per_s=<y> ms_per_step=<z> size=<S> batch=<N> layer=<L>
measured over --steps steps after 3 warm-up steps (a "# per-step ms: min= median= max=" line
precedes it; prefer min/median when other processes share the CPUs).
  steps_per_s   = ascent iterations per second (one iteration updates all N images)
  filters_per_s = batch * steps_per_s (filter-images updated per second; divide by
                  the number of iterations per visualization to get finished
                  visualizations per second)
  ms_per_step   = 1000 / steps_per_s
"""
import argparse
import math
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WARMUP = 3


def vgg16_features_upto(layer):
    import torchvision
    m = re.fullmatch(r"block(\d)_conv(\d)", layer)
    if not m:
        raise SystemExit(f"bad vgg16 layer name {layer!r}; use block{{b}}_conv{{c}}")
    want_b, want_c = int(m.group(1)), int(m.group(2))
    try:
        model = torchvision.models.vgg16(weights=None)
    except TypeError:  # very old torchvision
        model = torchvision.models.vgg16(pretrained=False)
    feats = model.features
    block, conv, cut = 1, 0, None
    for i, mod in enumerate(feats):
        if isinstance(mod, nn.MaxPool2d):
            block, conv = block + 1, 0
        elif isinstance(mod, nn.Conv2d):
            conv += 1
            if (block, conv) == (want_b, want_c):
                assert isinstance(feats[i + 1], nn.ReLU)
                cut = i + 2  # include the ReLU right after the conv
                conv_index = i
                nchan = mod.out_channels
                break
    if cut is None:
        raise SystemExit(f"layer {layer} not in VGG16")
    # replace inplace ReLUs so that autograd never has to worry about them
    trunk = nn.Sequential(*[nn.ReLU(inplace=False) if isinstance(x, nn.ReLU) else x
                            for x in list(feats)[:cut]])
    return trunk, nchan, f"{layer}(features[{conv_index}]+ReLU)"


INCEPTION_BLOCKS = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                    "Mixed_7a", "Mixed_7b", "Mixed_7c"]


def mobilenet_v2_upto(layer):
    import torchvision
    if layer != "out_relu":
        raise SystemExit(f"mobilenet_v2 takes layer out_relu only, not {layer!r}")
    return torchvision.models.mobilenet_v2(weights=None).features, 1280, "features(out_relu)"


def inception_v3_upto(layer):
    import torchvision
    m = re.fullmatch(r"mixed(\d+)", layer)
    if not m or int(m.group(1)) >= len(INCEPTION_BLOCKS):
        raise SystemExit(f"bad inception_v3 layer name {layer!r}; use mixed0 .. mixed10")
    net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
    stem = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2"]
    last = INCEPTION_BLOCKS[int(m.group(1))]
    names = stem + INCEPTION_BLOCKS[:INCEPTION_BLOCKS.index(last) + 1]
    trunk = nn.Sequential(*[getattr(net, n) for n in names]).eval()
    nchan = trunk(torch.zeros(1, 3, 75, 75)).shape[1]
    return trunk, nchan, f"{last}({layer})"


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 32, 3)
        self.conv3 = nn.Conv2d(32, 64, 3)
        self.conv4 = nn.Conv2d(64, 64, 3)
        self.dense = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x, upto="dense"):
        x = F.relu(self.conv1(x))
        if upto == "conv1":
            return x
        x = F.relu(self.conv2(x))
        if upto == "conv2":
            return x
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv3(x))
        if upto == "conv3":
            return x
        x = F.relu(self.conv4(x))
        if upto == "conv4":
            return x
        x = F.max_pool2d(x, 2)
        return self.dense(torch.flatten(x, 1))


def gaussian_kernel1d(sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    xs = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (xs / sigma) ** 2)
    return k / k.sum()


def blur(img, k1d):
    c = img.shape[1]
    r = (k1d.numel() - 1) // 2
    kh = k1d.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    kv = k1d.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
    x = F.pad(img, (r, r, 0, 0), mode="replicate")
    x = F.conv2d(x, kh, groups=c)
    x = F.pad(x, (0, 0, r, r), mode="replicate")
    return F.conv2d(x, kv, groups=c)


def profile(net, img, steps):
    """Times each module of a sequential trunk alone, forward and backward (its input gradient only), over `steps`
    passes; prints the medians in ms, wall-clock and this thread's processor time (with one thread they agree on an
    idle machine; processor time stays steady when other processes share the cores)."""
    if not isinstance(net, nn.Sequential):
        raise SystemExit("--profile takes a sequential model (vgg16, mobilenet_v2, inception_v3)")
    clocks = (time.perf_counter, time.thread_time)
    times = [[[] for _ in range(4)] for _ in net]
    for _ in range(steps):
        x, outs = img, []
        for i, m in enumerate(net):
            a = x.detach().requires_grad_(True)
            t = [c() for c in clocks]
            x = m(a)
            times[i][0].append(clocks[0]() - t[0])
            times[i][2].append(clocks[1]() - t[1])
            outs.append((a, x))
        g = torch.ones_like(x) / x[0, 0].numel()
        for i in reversed(range(len(outs))):
            a, o = outs[i]
            t = [c() for c in clocks]
            (g,) = torch.autograd.grad(o, a, g)
            times[i][1].append(clocks[0]() - t[0])
            times[i][3].append(clocks[1]() - t[1])
    print("# profile (median ms; wall-clock, and this thread's processor time):")
    print(f"# {'module':<24} {'output':<20} {'fwd':>9} {'bwd':>9} {'fwd cpu':>9} {'bwd cpu':>9}")
    sums = [0.0] * 4
    x = img
    with torch.no_grad():
        for i, m in enumerate(net):
            x = m(x)
            med = [sorted(v)[len(v) // 2] * 1e3 for v in times[i]]
            sums = [s + v for s, v in zip(sums, med)]
            print(f"# {i:>2} {type(m).__name__:<21} {str(list(x.shape)):<20} " + " ".join(f"{v:9.2f}" for v in med))
    print(f"# {'network (sum of medians)':<45} " + " ".join(f"{v:9.2f}" for v in sums), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["vgg16", "lenet", "mobilenet_v2", "inception_v3"], default="vgg16")
    ap.add_argument("--size", type=int, default=None,
                    help="image side S (vgg16 128, mobilenet_v2 224, inception_v3 299; lenet is 28)")
    ap.add_argument("--batch", type=int, default=1, help="N filters optimized at once")
    ap.add_argument("--steps", type=int, default=20, help="timed steps (after 3 warm-up)")
    ap.add_argument("--warm-up", type=float, default=0.0,
                    help="seconds of steps before the 3 warm-up steps (then the image starts again), as FilterScope's "
                         "bench --warm-up gives its JIT compiler")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layer", default=None,
                    help="vgg16: block{b}_conv{c} (default block5_conv1); lenet: conv1..conv4|dense (default conv4)")
    ap.add_argument("--first-filter", type=int, default=0)
    ap.add_argument("--step", type=float, default=1.0)
    ap.add_argument("--decay", type=float, default=0.0, help="L2 decay: x *= 1-decay each step")
    ap.add_argument("--blur-sigma", type=float, default=0.0, help="gaussian blur sigma (0 = off)")
    ap.add_argument("--blur-every", type=int, default=4)
    ap.add_argument("--param-grads", action="store_true",
                    help="also compute weight gradients (default: input gradient only)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true",
                    help="also time each module of a sequential model (vgg16, mobilenet_v2, inception_v3) forward and "
                         "backward on its own, median of the timed steps (wall-clock and this thread's processor time)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)

    if a.model == "vgg16":
        layer = a.layer or "block5_conv1"
        net, nchan, desc = vgg16_features_upto(layer)
        fwd = net
        size, cin = a.size or 128, 3
        scale = 1.0  # Keras blog works on a 0..255 scale
    elif a.model in ("mobilenet_v2", "inception_v3"):
        mobile = a.model == "mobilenet_v2"
        layer = a.layer or ("out_relu" if mobile else "mixed10")
        net, nchan, desc = (mobilenet_v2_upto if mobile else inception_v3_upto)(layer)
        fwd = net
        size, cin = a.size or (224 if mobile else 299), 3
        scale = 1.0 / 255.0  # these take 0..1 pixels in FilterScope's copies
    else:
        layer = a.layer or "conv4"
        lenet = LeNet()
        net = lenet
        fwd = lambda x: lenet(x, upto=layer)
        nchan = 10 if layer == "dense" else {"conv1": 32, "conv2": 32, "conv3": 64, "conv4": 64}[layer]
        desc = f"lenet.{layer}"
        size, cin = 28, 1
        scale = 1.0 / 255.0  # MNIST-like 0..1 range
    net.eval()
    for p in net.parameters():
        p.requires_grad_(a.param_grads)

    n = a.batch
    filt = torch.tensor([(a.first_filter + i) % nchan for i in range(n)])
    img = (torch.rand(n, cin, size, size) * 20 + 128) * scale  # gray + noise
    k1d = gaussian_kernel1d(a.blur_sigma) if a.blur_sigma > 0 else None
    rows = torch.arange(n)

    def step(it):
        nonlocal img
        x = img.detach().requires_grad_(True)
        out = fwd(x)
        if out.dim() == 4:
            per_img = out[rows, filt].mean(dim=(1, 2))  # mean activation of own filter
        else:
            per_img = out[rows, filt]
        loss = per_img.sum()
        if a.param_grads:
            net.zero_grad(set_to_none=True)
            loss.backward()
            g = x.grad
        else:
            (g,) = torch.autograd.grad(loss, x)
        with torch.no_grad():
            rms = g.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-5
            new = x + a.step * scale * (g / rms)
            if a.decay > 0:
                new.mul_(1.0 - a.decay)
            if k1d is not None and (it + 1) % a.blur_every == 0:
                new = blur(new, k1d)
        img = new.detach()
        return per_img.detach()

    print(f"# torch {torch.__version__} threads={torch.get_num_threads()} model={a.model} "
          f"layer={desc} input={tuple(img.shape)} filters={filt.tolist()[:8]}{'...' if n > 8 else ''} "
          f"param_grads={a.param_grads} decay={a.decay} blur_sigma={a.blur_sigma}", flush=True)
    start, warm_end = img, time.perf_counter() + a.warm_up
    while time.perf_counter() < warm_end:
        step(0)
    img = start
    first = None
    for it in range(WARMUP):
        v = step(it)
        if first is None:
            first = v
    t0 = time.perf_counter()
    per = []
    cpu = []
    for it in range(WARMUP, WARMUP + a.steps):
        ts, cs = time.perf_counter(), time.process_time()
        v = step(it)
        per.append(time.perf_counter() - ts)
        cpu.append(time.process_time() - cs)
    dt = time.perf_counter() - t0
    cpu.sort()
    print(f"# per-step cpu ms (all threads): min={cpu[0] * 1e3:.2f} median={cpu[len(cpu) // 2] * 1e3:.2f} "
          f"max={cpu[-1] * 1e3:.2f}", flush=True)
    per.sort()
    if a.profile:
        profile(net, img, a.steps)
    print(f"# objective (mean over batch) first={first.mean().item():.4g} last={v.mean().item():.4g}", flush=True)
    print(f"# per-step ms: min={per[0] * 1e3:.2f} median={per[len(per) // 2] * 1e3:.2f} max={per[-1] * 1e3:.2f} "
          f"(use min/median when the machine is shared)", flush=True)
    sps = a.steps / dt
    print(f"torch steps_per_s={sps:.4f} filters_per_s={sps * n:.4f} ms_per_step={1000.0 / sps:.2f} "
          f"size={size} batch={n} layer={layer}", flush=True)


if __name__ == "__main__":
    main()
