"""What a small array made from host memory costs inside a GPU graph (MLX CUDA backend).

Each variant chains N elementwise ops on a [1, 1024] array and evaluates once; the ops differ only in their second
operand: a constant made once (`const`), a fresh host array per op of 1 float (`fresh1`, MLX's scalar pool),
of 64 floats (`fresh64`), or of 1024 floats (`fresh1k`). Prints median ms per graph and us per op.
  python3 bench/cuda/host_arrays.py [--ops 560] [--rounds 15]
"""
import argparse
import statistics
import time

import mlx.core as mx


def run(kind: str, ops: int, x: mx.array, consts: dict) -> None:
    y = x
    for i in range(ops):
        if kind == "const":
            c = consts[1]
        elif kind == "fresh1":
            c = mx.array([1.0 + i * 1e-6])
        elif kind == "fresh64":
            c = mx.array([[1.0 + i * 1e-6]] * 64)[:1]
        else:
            c = mx.array([[1.0 + i * 1e-6] * 1024])
        y = y * c
    mx.eval(y)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, default=560)
    p.add_argument("--rounds", type=int, default=15)
    a = p.parse_args()
    print(f"device {mx.default_device()}, mlx {mx.__version__}, {a.ops} ops a graph, {a.rounds} rounds")
    x = mx.ones((1, 1024))
    consts = {1: mx.array([1.0])}
    mx.eval(x, *consts.values())
    for kind in ["const", "fresh1", "fresh64", "fresh1k", "const"]:
        run(kind, a.ops, x, consts)
        times = []
        for _ in range(a.rounds):
            t = time.perf_counter()
            run(kind, a.ops, x, consts)
            times.append((time.perf_counter() - t) * 1e3)
        med = statistics.median(times)
        print(f"{kind:8s} {med:8.3f} ms a graph  {med * 1e3 / a.ops:7.2f} us an op  (min {min(times):.3f})")


if __name__ == "__main__":
    main()
