"""`make bench`: every CPU benchmark, one after the other (each prints its own table and BLAS).

The Makefile runs this with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they can force a slow
BLAS kernel); tests and CI never change them.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHES = ["bench_ops.py", "bench_mlp.py", "bench_cnn.py"]


def main():
    failed = []
    for name in BENCHES:
        print(f"\n===== {name} =====", flush=True)
        if subprocess.call([sys.executable, os.path.join(HERE, name)]) != 0:
            failed.append(name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
