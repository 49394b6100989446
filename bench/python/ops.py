"""The Python side of the FFI benchmark: the twin of bench/ffi/worker.ts.

Runs the ops of one BenchSpec (JSON in argv[1], see bench/ffi/spec.ts) through MLX's Python package and prints
one WorkerResult as JSON on stdout. Spawned by bench/ffi/run.ts with the interpreter in $PYTHON_MLX.
"""
import json
import statistics
import sys
import time

import mlx.core as mx

DTYPES = {"float32": mx.float32, "bfloat16": mx.bfloat16, "float16": mx.float16}


def time_calls(op, spec):
    a = mx.array([1, 2, 3], dtype=mx.float32)
    b = mx.array([4, 5, 6], dtype=mx.float32)
    mx.eval(a, b)
    loops = spec["callLoops"]
    if op["what"] == "add":
        def body():
            c = mx.add(a, b)
            del c
    elif op["what"] == "activeMemory":
        body = mx.get_active_memory
    else:
        return None
    for _ in range(loops):
        body()
    wall, cpu = [], []
    for _ in range(spec["callSamples"]):
        c0 = time.process_time_ns()
        t0 = time.perf_counter_ns()
        for _ in range(loops):
            body()
        wall.append((time.perf_counter_ns() - t0) / loops)
        cpu.append((time.process_time_ns() - c0) / loops)
    return wall, cpu


def make_weights(op, key):
    dt = DTYPES[op["dtype"]]
    if op["what"] == "mm":
        w = mx.random.normal((op["k"], op["n"]), dtype=dt, loc=0.0, scale=0.02, key=key)
        mx.eval(w)
        return {"w": w}
    w = mx.random.normal((op["n"], op["k"]), dtype=dt, loc=0.0, scale=0.02, key=key)
    wq, scales, biases = mx.quantize(w, group_size=64, bits=4)
    mx.eval(wq, scales, biases)
    return {"wq": wq, "scales": scales, "biases": biases}


def time_compute(op, spec, weights, key):
    x = mx.random.normal((op["m"], op["k"]), dtype=DTYPES[op["dtype"]], key=key)
    mx.eval(x)
    if "w" in weights:
        w = weights["w"]

        def run():
            return mx.matmul(x, w)
    else:
        wq, scales, biases = weights["wq"], weights["scales"], weights["biases"]

        def run():
            return mx.quantized_matmul(x, wq, scales, biases, transpose=True, group_size=64, bits=4)
    for _ in range(spec["warmup"]):
        mx.eval(run())
    wall, cpu = [], []
    start = time.perf_counter()
    while len(wall) < spec["maxSamples"]:
        if len(wall) >= spec["minSamples"] and (time.perf_counter() - start) * 1000 > spec["budgetMs"]:
            break
        c0 = time.process_time_ns()
        t0 = time.perf_counter_ns()
        y = run()
        mx.eval(y)
        wall.append(time.perf_counter_ns() - t0)
        cpu.append(time.process_time_ns() - c0)
        del y
    return wall, cpu


def main():
    spec = json.loads(sys.argv[1])
    mx.set_default_device(mx.gpu if spec["device"] == "gpu" else mx.cpu)
    key = mx.random.key(spec["seed"])
    cache = {}
    result = {"side": "python", "mlxVersion": mx.__version__, "device": str(mx.default_device()),
              "medianNs": {}, "medianCpuNs": {}, "samples": {}}
    for op in spec["ops"]:
        if op["kind"] == "call":
            times = time_calls(op, spec)
        else:
            wid = f'{op["what"]}:{op["dtype"]}:{op["n"]}:{op["k"]}'
            if wid not in cache:
                cache[wid] = make_weights(op, key)
            times = time_compute(op, spec, cache[wid], key)
        if times:
            wall, cpu = times
            result["medianNs"][op["name"]] = statistics.median(wall)
            result["medianCpuNs"][op["name"]] = statistics.median(cpu)
            result["samples"][op["name"]] = len(wall)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
