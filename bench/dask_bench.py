#!/usr/bin/python3
"""The Dask side of bench/real.js: the same measures on Dask's LocalCluster.

Run by bench/real.js under Debian's /usr/bin/python3 (package python3-distributed), with 2 worker
processes of 1 thread each, like `flint local` with 2 workers of 1 core. Measures the time to a
ready cluster (both workers ran a task), no-op throughput (client.map + gather) for each size,
and the round trip of a single task (client.submit + result), p50 and p99. Prints one JSON object
on the last line of stdout; Dask's own logs go to stderr.

    /usr/bin/python3 bench/dask_bench.py --sizes 10000,100000 --round-trips 1000
"""
import argparse
import json
import logging
import sys
import time


def noop(x):
    """A task that does nothing but echo its input (examples/noop.mjs's twin)."""
    return x


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="task counts, comma-separated")
    parser.add_argument("--round-trips", type=int, default=1000, help="single-task jobs for p50/p99")
    parser.add_argument("--warm-up", type=int, default=2000, help="no-op tasks run before measuring")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    from dask.distributed import Client, LocalCluster

    out = {"version": None}
    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        client.wait_for_workers(2)
        # Ready = both workers ran a task (as flint's: both executors registered and a 2-task job ran).
        client.gather(client.map(noop, [0, 1], pure=False))
        out["readyMs"] = (time.perf_counter() - started) * 1000
        import distributed
        out["version"] = distributed.__version__
        client.gather(client.map(noop, range(args.warm_up), pure=False))
        for n in sizes:
            t = time.perf_counter()
            results = client.gather(client.map(noop, range(n), pure=False))
            seconds = time.perf_counter() - t
            if len(results) != n or results[-1] != n - 1:
                raise RuntimeError("expected %d results, got %d" % (n, len(results)))
            out["tasksPerSecond%d" % n] = n / seconds
        latencies = []
        for i in range(args.round_trips):
            t = time.perf_counter()
            if client.submit(noop, i, pure=False).result() != i:
                raise RuntimeError("wrong result")
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        out["p50Ms"] = percentile(latencies, 50)
        out["p99Ms"] = percentile(latencies, 99)
    finally:
        client.close()
        cluster.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
