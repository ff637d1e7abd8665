"""PyTorch anchor for dc-bench nn (issue 4): the same 4-level U-Net training step and the same
single 3x3 convolution, timed the same way (median of timed steps after warm-up).

Usage: python bench/nn_torch.py unet-step|conv [--steps N] [--warmup N] [--threads N]
                                [--channels-last]
Prints a last line torch_ms_per_step=<median>.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, widths=(16, 32, 64, 128)):
        super().__init__()
        self.enc = nn.ModuleList()
        cin = 1
        for w in widths:
            self.enc.append(block(cin, w))
            cin = w
        self.dec = nn.ModuleList(block(widths[k + 1] + widths[k], widths[k]) for k in range(len(widths) - 1))
        self.head = nn.Conv2d(widths[0], 1, 1)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        skips = []
        for k, enc in enumerate(self.enc):
            x = enc(x)
            if k < len(self.enc) - 1:
                skips.append(x)
                x = self.pool(x)
        for k in range(len(self.dec) - 1, -1, -1):
            x = self.dec[k](torch.cat([self.up(x), skips[k]], 1))
        return self.head(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["unet-step", "conv"])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    times = []
    cpu = []
    if a.what == "unet-step":
        net = UNet().to(memory_format=fmt)
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
              f"{'channels_last' if a.channels_last else 'NCHW'}, "
              f"{sum(p.numel() for p in net.parameters())} parameters")
        x = torch.rand(8, 1, 128, 128).to(memory_format=fmt)
        t = torch.rand(8, 1, 128, 128).to(memory_format=fmt)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            c0 = time.process_time()
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(net(x), t)
            loss.backward()
            opt.step()
            dt = (time.perf_counter() - t0) * 1e3
            if i >= a.warmup:
                times.append(dt)
                cpu.append((time.process_time() - c0) * 1e3)
    else:
        conv = nn.Conv2d(32, 32, 3, padding=1, bias=False).to(memory_format=fmt)
        x = torch.rand(8, 32, 128, 128).to(memory_format=fmt).requires_grad_()
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            y = conv(x)
            y.backward(torch.ones_like(y))
            dt = (time.perf_counter() - t0) * 1e3
            if i >= a.warmup:
                times.append(dt)
    print("times ms: " + " ".join(f"{v:.1f}" for v in times))
    if cpu:
        print(f"cpu ms per step (all threads, median): {statistics.median(cpu):.1f}")
    print(f"torch_ms_per_step={statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
