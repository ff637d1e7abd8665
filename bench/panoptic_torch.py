"""PyTorch anchor for dc-bench nn panoptic-train / panoptic-infer (issue 5): the default
PanopticNet of model.md §2-§8 built layer for layer in PyTorch, on the same kind of input,
timed the same way (median of timed steps after warm-up).

Architecture (featurenet C1-C5 -> P1, F = 256): location channels (row/(H-1), col/(W-1)) ++
input -> conv_channels 1x1 -> 3; five featurenet blocks (conv3x3 32 + bias, BN, ReLU, conv3x3
32, BN, ReLU, maxpool 2x2); Ck_reduced 1x1 32 -> 256; Pk_merged = Ck_reduced + bilinear 2x
upsampling of P(k+1)_merged (half-pixel centres = align_corners=False); P1 3x3 256 -> 256; per
head: conv3x3 256 -> 64, bilinear 2x, conv_0 1x1 64 -> 128, BN, ReLU, conv_1 1x1 128 -> n,
ReLU (n = 1) or softmax (n > 1). BN eps 1e-3, momentum 0.01 (= Keras 0.99). Training heads
[1, 1, 2] (1,187,312 parameters incl. BN moving statistics, as Keras counts), inference heads
[1, 1]. Loss: MSE on the distance heads + 0.01 x weighted categorical cross-entropy on fgbg
(class weights from the batch's targets, model.md §8); Adam lr 1e-4, eps 1e-7, each gradient
tensor clipped to norm 0.001 on its own (Keras per-variable clipnorm).

Usage: python bench/panoptic_torch.py train|infer [--batch N] [--size S] [--steps N]
           [--warmup N] [--threads N] [--channels-last] [--profile] [--bf16]
       python bench/panoptic_torch.py check FILE.npz   (from dc-bench nn panoptic-infer --save-check)
Last line: torch_samples_per_s=<n> (train) or torch_mpix_per_s=<n> (infer). With --profile,
each layer alone is timed and printed as op<TAB>label<TAB>count<TAB>fwd ms<TAB>bwd ms, the
labels of dc-bench nn's profile. `check` loads our weights by their Keras names and prints the
largest difference between the two engines' outputs (last line max_abs_error=<e>).
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


def up2(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class Block(nn.Module):
    def __init__(self, cin, f=32):
        super().__init__()
        self.conv_a, self.bn_a = nn.Conv2d(cin, f, 3, padding=1), bn(f)
        self.conv_b, self.bn_b = nn.Conv2d(f, f, 3, padding=1), bn(f)

    def forward(self, x):
        x = F.relu(self.bn_a(self.conv_a(x)))
        x = F.relu(self.bn_b(self.conv_b(x)))
        return F.max_pool2d(x, 2)


class Head(nn.Module):
    def __init__(self, classes, fin=256, up=64, filters=128):
        super().__init__()
        self.classes = classes
        self.conv_up = nn.Conv2d(fin, up, 3, padding=1)
        self.conv_0, self.bn_0 = nn.Conv2d(up, filters, 1), bn(filters)
        self.conv_1 = nn.Conv2d(filters, classes, 1)

    def forward(self, p1):
        x = up2(self.conv_up(p1))
        x = self.conv_1(F.relu(self.bn_0(self.conv_0(x))))
        return F.softmax(x, dim=1) if self.classes > 1 else F.relu(x)


class PanopticNet(nn.Module):
    def __init__(self, heads, size, channels=1, f=256):
        super().__init__()
        self.conv_channels = nn.Conv2d(channels + 2, 3, 1)
        self.blocks = nn.ModuleList(Block(3 if k == 0 else 32) for k in range(5))
        self.reduced = nn.ModuleList(nn.Conv2d(32, f, 1) for _ in range(5))
        self.p1 = nn.Conv2d(f, f, 3, padding=1)
        self.heads = nn.ModuleList(Head(n, f) for n in heads)
        r = torch.arange(size, dtype=torch.float32) / (size - 1)
        self.register_buffer("loc", torch.stack(torch.meshgrid(r, r, indexing="ij"))[None], persistent=False)

    def forward(self, x):
        x = torch.cat([x, self.loc.expand(x.shape[0], -1, -1, -1)], 1)
        x = self.conv_channels(x)
        c = []
        for b in self.blocks:
            x = b(x)
            c.append(x)
        merged = self.reduced[4](c[4])
        for k in range(3, -1, -1):
            merged = self.reduced[k](c[k]) + up2(merged)
        p1 = self.p1(merged)
        return [h(p1) for h in self.heads]


def parameter_count(net):
    # Keras counts BN moving mean/variance as (non-trainable) weights; torch keeps them as buffers.
    bn_stats = sum(m.running_mean.numel() + m.running_var.numel() for m in net.modules()
                   if isinstance(m, nn.BatchNorm2d))
    return sum(p.numel() for p in net.parameters()) + bn_stats


def synthetic_nuclei(batch, size, seed=5):
    """Disk-shaped cells (radius 5-12, ~one per 30x30 px) on a noisy background, with inner
    distance, outer distance and fgbg one-hot targets: the kind of batch dc-bench nn uses."""
    rng = np.random.default_rng(seed)
    img = np.zeros((batch, size, size), np.float32)
    inner = np.zeros_like(img)
    outer = np.zeros_like(img)
    fg = np.zeros(img.shape, bool)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for b in range(batch):
        for _ in range(max(1, size * size // 900)):
            cy, cx = rng.uniform(0, size, 2)
            r = rng.uniform(5, 12)
            bright = rng.uniform(0.4, 0.9)
            d = np.hypot(yy - cy, xx - cx)
            m = d < r
            fg[b][m] = True
            img[b][m] = bright * (1 - 0.3 * d[m] / r)
            inner[b][m] = np.exp(-(d[m] ** 2) / (0.5 * r * r))
            outer[b][m] = 1 - d[m] / r
    img += 0.1 + 0.05 * rng.standard_normal(img.shape).astype(np.float32)
    fgbg = np.stack([~fg, fg], 1).astype(np.float32)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return t(img[:, None]), [t(inner[:, None]), t(outer[:, None]), t(fgbg)]


def weighted_cce(p, y, scale=0.01):
    """model.md §8: p / sum p, clip [1e-7, 1-1e-7], w_c = (1/K) N_total / (N_c + 1) from the batch."""
    k = y.shape[1]
    counts = y.sum(dim=(0, 2, 3))
    w = (1.0 / k) * counts.sum() / (counts + 1)
    p = p / p.sum(1, keepdim=True)
    p = p.clamp(1e-7, 1 - 1e-7)
    return scale * (-(y * torch.log(p) * w.view(1, k, 1, 1)).sum(1)).mean()


def clip_per_variable(params, c=1e-3):
    for p in params:
        if p.grad is not None:
            p.grad.mul_(c / p.grad.norm().clamp(min=c))


def profile_layers(batch, s, heads, fmt, training, repeats):
    """Each layer of the graph alone, same labels and shapes as dc-bench nn's profile."""
    rows = []

    def at(c, r):
        return torch.rand(batch, c, r, r).to(memory_format=fmt)

    def add(label, count, fn, shape_c, r, module=None, grad_input=True):
        rows.append((f"{label} @{shape_c}x{r}", count, fn, at(shape_c, r), module, grad_input))

    conv = lambda ci, co, k: nn.Conv2d(ci, co, k, padding=k // 2).to(memory_format=fmt)
    loc = torch.rand(1, 2, s, s)
    add("location+concat", 1, lambda x: torch.cat([x, loc.expand(x.shape[0], -1, -1, -1)], 1), 1, s,
        grad_input=None)
    add("conv_channels 1x1 3>3", 1, None, 3, s, conv(3, 3, 1), grad_input=False)
    for k in range(1, 6):
        r = s >> (k - 1)
        cin = 3 if k == 1 else 32
        add(f"C{k} conv3x3 {cin}>32", 1, None, cin, r, conv(cin, 32, 3))
        add(f"C{k} batchnorm", 2, None, 32, r, bn(32))
        add(f"C{k} relu", 2, F.relu, 32, r)
        add(f"C{k} conv3x3 32>32", 1, None, 32, r, conv(32, 32, 3))
        add(f"C{k} maxpool", 1, lambda x: F.max_pool2d(x, 2), 32, r)
    for k in range(1, 6):
        add(f"C{k}_reduced 1x1 32>256", 1, None, 32, s >> k, conv(32, 256, 1))
    for k in range(2, 6):
        add(f"P{k}_upsampled bilinear", 1, up2, 256, s >> k)
    other = at(256, s // 2)
    add("P1_merged add", 1, lambda x: x + other, 256, s // 2, grad_input=None)
    add("P1 conv3x3 256>256", 1, None, 256, s // 2, conv(256, 256, 3))
    h = len(heads)
    add("head conv3x3 256>64", h, None, 256, s // 2, conv(256, 64, 3))
    add("head upsample bilinear", h, up2, 64, s // 2)
    add("head conv_0 1x1 64>128", h, None, 64, s, conv(64, 128, 1))
    add("head batchnorm", h, None, 128, s, bn(128))
    add("head relu", h, F.relu, 128, s)
    for c in sorted(set(heads)):
        n = heads.count(c)
        add(f"head conv_1 1x1 128>{c}", n, None, 128, s, conv(128, c, 1))
        add("head relu out" if c == 1 else "head softmax out", n,
            F.relu if c == 1 else (lambda x: F.softmax(x, dim=1)), c, s)
    total = 0.0
    for label, count, fn, x, module, grad_input in rows:
        f = module if module is not None else fn
        if module is not None:
            module.train(training)
        best_f = best_b = float("inf")
        for i in range(repeats + 1):
            if training and grad_input:
                x = x.detach().requires_grad_()
            with torch.set_grad_enabled(training):
                t0 = time.perf_counter()
                y = f(x)
                t1 = time.perf_counter()
            if i > 0:
                best_f = min(best_f, (t1 - t0) * 1e3)
            if training and y.requires_grad:
                dy = torch.rand_like(y)
                t2 = time.perf_counter()
                y.backward(dy)
                if i > 0:
                    best_b = min(best_b, (time.perf_counter() - t2) * 1e3)
        if best_b == float("inf"):
            best_b = 0.0
        total += count * (best_f + (best_b if training else 0))
        print(f"op\t{label}\t{count}\t{best_f:.2f}\t{best_b:.2f}")
    return total


def check(path, threads):
    """Loads the weights dc-bench nn panoptic-infer --save-check wrote (Keras names, HWIO) into
    this model and compares its inference outputs with dc-bench nn's on the same input."""
    torch.set_num_threads(threads)
    z = np.load(path)
    x = torch.from_numpy(z["input"]).permute(0, 3, 1, 2).contiguous()
    heads = sorted(int(k.split("_")[1]) for k in z.files if k.startswith("semantic_"))
    net = PanopticNet([1] * len(heads), x.shape[2], x.shape[1]).eval()
    names = {"conv_channels": net.conv_channels, "P1": net.p1}
    for k, b in enumerate(net.blocks):
        for j, (conv, norm) in enumerate([(b.conv_a, b.bn_a), (b.conv_b, b.bn_b)]):
            i = 2 * k + j
            names["conv2d" + (f"_{i}" if i else "")] = conv
            names["batch_normalization" + (f"_{i}" if i else "")] = norm
    for k, r in enumerate(net.reduced):
        names[f"C{k + 1}_reduced"] = r
    for i, h in enumerate(net.heads):
        names[f"conv_0_semantic_upsample_{i}"] = h.conv_up
        names[f"conv_0_semantic_{i}"] = h.conv_0
        names[f"batch_normalization_0_semantic_{i}"] = h.bn_0
        names[f"conv_1_semantic_{i}"] = h.conv_1
    field = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
             "moving_mean": "running_mean", "moving_variance": "running_var"}
    loaded = 0
    with torch.no_grad():
        for key in z.files:
            if "/" not in key:
                continue
            layer, what = key.split("/")
            v = torch.from_numpy(z[key])
            if what == "kernel":
                v = v.permute(3, 2, 0, 1)  # HWIO -> OIHW
            getattr(names[layer], field[what]).copy_(v)
            loaded += v.numel()
        out = net(x)
    assert loaded == parameter_count(net), (loaded, parameter_count(net))
    err = max(float((o.permute(0, 2, 3, 1) - torch.from_numpy(z[f"semantic_{i}"])).abs().max())
              for i, o in enumerate(out))
    scale = max(float(np.abs(z[f"semantic_{i}"]).max()) for i in heads)
    print(f"architecture check: {loaded} weights loaded by name, heads {len(heads)}, "
          f"max |ours - torch| = {err:.3g} (outputs up to {scale:.3g})")
    print(f"max_abs_error={err:.3g}")


def main():
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        ap = argparse.ArgumentParser()
        ap.add_argument("what")
        ap.add_argument("file")
        ap.add_argument("--threads", type=int, default=2)
        a = ap.parse_args()
        return check(a.file, a.threads)
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["train", "infer"])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--bf16", action="store_true",
                    help="under torch.autocast('cpu', dtype=torch.bfloat16): inference, or "
                         "training's forward pass and losses")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    train = a.what == "train"
    heads = [1, 1, 2] if train else [1, 1]
    net = PanopticNet(heads, a.size).to(memory_format=fmt)
    x, targets = synthetic_nuclei(a.batch, a.size)
    x = x.to(memory_format=fmt)
    targets = [t.to(memory_format=fmt) for t in targets]
    print(f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}), threads {torch.get_num_threads()}, "
          f"{'channels_last' if a.channels_last else 'NCHW (default)'}"
          f"{', bf16 autocast' if a.bf16 else ''}")
    print(f"panopticnet featurenet C1-C5 -> P1, heads {heads}: {parameter_count(net)} parameters, "
          f"batch {a.batch}x1x{a.size}x{a.size}")
    times, cpu = [], []
    if train:
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4, eps=1e-7)
        for i in range(a.warmup + a.steps):
            t0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad(set_to_none=True)
            # Mixed precision as PyTorch users do it: forward and loss under autocast (its
            # convolutions in bf16), backward outside it, float32 parameters and Adam.
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
                out = net(x)
                losses = [F.mse_loss(out[0], targets[0]), F.mse_loss(out[1], targets[1]),
                          weighted_cce(out[2], targets[2])]
            sum(losses).backward()
            clip_per_variable(net.parameters())
            opt.step()
            dt, dc = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
            if i >= a.warmup:
                times.append(dt)
                cpu.append(dc)
            print(f"step {i + 1} losses {' '.join(f'{l.item():.5f}' for l in losses)} "
                  f"{dt:.1f} ms (cpu {dc:.1f} ms)")
    else:
        net.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            for i in range(a.warmup + a.steps):
                t0, c0 = time.perf_counter(), time.process_time()
                out = net(x)
                dt, dc = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
                assert len(out) == 2
                if i >= a.warmup:
                    times.append(dt)
                    cpu.append(dc)
                print(f"pass {i + 1} {dt:.1f} ms (cpu {dc:.1f} ms)")
    ms = statistics.median(times)
    if a.profile:
        total = profile_layers(a.batch, a.size, heads, fmt, train, 2 if train else 3)
        print(f"layers alone sum {total:.1f} ms; whole {'step' if train else 'pass'} {ms:.1f} ms")
    print("times ms: " + " ".join(f"{v:.1f}" for v in times))
    print(f"cpu ms per {'step' if train else 'pass'} (all threads, median): {statistics.median(cpu):.1f}")
    if train:
        print(f"samples/s: {a.batch / ms * 1e3:.3f} wall, {a.batch / statistics.median(cpu) * 1e3:.3f} per cpu-second")
        print(f"torch_samples_per_s={a.batch / ms * 1e3:.3f}")
    else:
        mpix = a.batch * a.size * a.size / 1e6
        print(f"Mpix/s: {mpix / ms * 1e3:.4f} wall, {mpix / statistics.median(cpu) * 1e3:.4f} per cpu-second")
        print(f"torch_mpix_per_s={mpix / ms * 1e3:.4f}")


if __name__ == "__main__":
    main()
