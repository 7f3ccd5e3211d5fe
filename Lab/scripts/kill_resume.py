#!/usr/bin/env python3
"""Kill-and-resume trials for `metagrappa meta-train` (issue 7, RELIABILITY.md).

Each trial starts a small meta-training run, kills it with SIGKILL at random moments
(3–6 times, each after a random 5–95 % of an uninterrupted run's duration), resumes it
with `--resume` each time, lets the last one finish, and compares the model file byte for
byte with an uninterrupted run of the same seed: everything but the `provenance` entry
of the JSON header (it records the command line, whose -o differs, and the training
seconds). Deterministic for --seed.

Usage (after `swift build -c release --static-swift-stdlib`):
    python3 Lab/scripts/kill_resume.py [--trials 10] [--seed 7]
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from blas_kernel import print_kernel
from labkit import BINARY



def content(path):
    """The model file without its provenance: magic, version, the JSON header with
    `provenance` removed, and the binary payload (θ₀ and the gates)."""
    data = open(path, "rb").read()
    length = int.from_bytes(data[12:16], "little")
    header = json.loads(data[16:16 + length])
    header.pop("provenance", None)
    return data[:12], json.dumps(header, sort_keys=True), data[16 + length:]


def main():
    print_kernel()
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--binary", default=BINARY, help="the metagrappa to test (default: the release build)")
    a = p.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        scans = []
        for s in (1, 2):
            path = os.path.join(tmp, f"scan{s}.npy")
            subprocess.run([a.binary, "simulate", "-o", path, "--matrix", "64", "--coils", "8", "--noise", "0.003",
                            "--seed", str(s)], check=True, capture_output=True)
            scans.append(path)
        train = [a.binary, "meta-train", "--data", *scans, "--iterations", "300", "--checkpoint-every", "5",
                 "--accel", "2", "--acs", "12", "--hidden", "8,4", "--steps", "3", "--validate-every", "25",
                 "--seed", "11"]
        reference = os.path.join(tmp, "straight.mgmeta")
        t = time.perf_counter()
        subprocess.run(train + ["-o", reference], check=True, capture_output=True)
        duration = time.perf_counter() - t
        expected = content(reference)
        passed, kills_total = 0, 0
        for trial in range(a.trials):
            out = os.path.join(tmp, f"trial{trial}.mgmeta")
            kills, delays = 0, []
            for _ in range(rng.randint(3, 6)):
                resume = ["--resume"] if os.path.exists(out + ".checkpoint") else []
                proc = subprocess.Popen(train + ["-o", out] + resume, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                delay = rng.uniform(0.05, 0.95) * duration
                time.sleep(delay)
                if proc.poll() is None:
                    delays.append(round(delay, 3))
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.wait()
            resume = ["--resume"] if os.path.exists(out + ".checkpoint") else []
            subprocess.run(train + ["-o", out] + resume, check=True, capture_output=True)
            same = content(out) == expected
            passed += same
            kills_total += kills
            print(f"trial {trial}: {kills} kills (after {delays} s), model {'identical' if same else 'DIFFERENT'}")
            if not same:
                got = content(out)
                print("  differs in:", [name for name, x, y in zip(("magic", "header", "payload"), got, expected) if x != y],
                      "\n  provenance:", json.loads(open(out, "rb").read()[16:16 + int.from_bytes(open(out, "rb").read()[12:16], "little")])["provenance"])
        print(f"\n{passed}/{a.trials} trials bit-identical to the uninterrupted run; {kills_total} kills in all; "
              f"uninterrupted run {duration:.2f} s")
        return 0 if passed == a.trials else 1


if __name__ == "__main__":
    sys.exit(main())
