#!/usr/bin/env python3
"""Reference vectors for BatchNorm2d (PyTorch 1.13, float64), in the torch_ops fixture schema.

Writes tests/ScratchML.Tests/NN/data/batch_norm2d_*.json (the shared fixtures have no batch norm
case). Each file: params {eps, momentum}; inputs {input, weight, bias}; constants {running_mean,
running_var} (the buffers before the step); outputs {train_out, running_mean, running_var,
eval_out}: one training-mode forward of nn.BatchNorm2d, the buffers after it, then an
evaluation-mode forward of the same input with those buffers; upstream {train_out}; grads: the
vector-Jacobian product of the training-mode output, L = sum(train_out * upstream).

Run from the repository root: /usr/bin/python3 scripts/batchnorm_reference.py
"""
import json
import os

import torch

CASES = [
    # name, (N, C, H, W), eps, momentum, seed
    ("batch_norm2d_basic", (3, 2, 3, 4), 1e-5, 0.1, 1),
    ("batch_norm2d_momentum", (2, 3, 2, 2), 1e-3, 0.3, 2),
    ("batch_norm2d_wide", (4, 5, 1, 3), 1e-5, 0.9, 3),
]


def array(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "dtype": "float64", "data": [float(v) for v in t.reshape(-1).tolist()]}


def case(name, shape, eps, momentum, seed):
    g = torch.Generator().manual_seed(seed)
    n, c, h, w = shape
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 2.0 + 0.5).requires_grad_()
    weight = (torch.rand(c, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    bias = torch.randn(c, generator=g, dtype=torch.float64).requires_grad_()
    running_mean = torch.randn(c, generator=g, dtype=torch.float64) * 0.1
    running_var = torch.rand(c, generator=g, dtype=torch.float64) + 0.5

    bn = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
        bn.running_mean.copy_(running_mean)
        bn.running_var.copy_(running_var)
    bn.train()
    out = torch.nn.functional.batch_norm(x, bn.running_mean, bn.running_var, weight, bias,
                                         training=True, momentum=momentum, eps=eps)
    upstream = torch.randn(out.shape, generator=g, dtype=torch.float64)
    gx, gw, gb = torch.autograd.grad((out * upstream).sum(), [x, weight, bias])
    bn.eval()
    with torch.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
        eval_out = bn(x)

    # cross-check with the module in training mode and with the formula
    check = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        check.weight.copy_(weight); check.bias.copy_(bias)
        check.running_mean.copy_(running_mean); check.running_var.copy_(running_var)
    check.train()
    assert torch.allclose(check(x), out, rtol=0, atol=1e-13)
    assert torch.allclose(check.running_mean, bn.running_mean, rtol=0, atol=0)
    count = n * h * w
    mu = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    assert torch.allclose(bn.running_var, (1 - momentum) * running_var + momentum * var * count / (count - 1), atol=1e-14)
    assert torch.allclose(bn.running_mean, (1 - momentum) * running_mean + momentum * mu, atol=1e-14)

    return {
        "name": name,
        "op": "batch_norm2d",
        "torch": "nn.BatchNorm2d(C, eps, momentum): train() forward, then eval() forward",
        "note": "running_var is updated with the unbiased batch variance",
        "params": {"eps": eps, "momentum": momentum},
        "inputs": {"input": array(x), "weight": array(weight), "bias": array(bias)},
        "constants": {"running_mean": array(running_mean), "running_var": array(running_var)},
        "outputs": {"train_out": array(out), "running_mean": array(bn.running_mean),
                    "running_var": array(bn.running_var), "eval_out": array(eval_out)},
        "upstream": {"train_out": array(upstream)},
        "grads": {"input": array(gx), "weight": array(gw), "bias": array(gb)},
    }


def main():
    folder = os.path.join("tests", "ScratchML.Tests", "NN", "data")
    os.makedirs(folder, exist_ok=True)
    for name, shape, eps, momentum, seed in CASES:
        path = os.path.join(folder, name + ".json")
        with open(path, "w") as f:
            json.dump(case(name, shape, eps, momentum, seed), f)
            f.write("\n")
        print("wrote", path, "with torch", torch.__version__)


if __name__ == "__main__":
    main()
