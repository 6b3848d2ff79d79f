#!/usr/bin/python3
"""Outside anchors for `sketchwork bench lsq`: NumPy lstsq (LAPACK gelsd) and
SciPy lsqr on the same instance the Go benchmark solves, in the same run.

Usage: /usr/bin/python3 bench/anchors/lsq.py DIR
DIR holds header.json {"n", "d", "format": "dense"|"csr", "lsqr_iter_lim",
"lsqr_time_limit", "run": ["lstsq", "lsqr", ...]} and raw little-endian
float64/int32 files: A.bin (dense row-major) or indptr.bin (int64),
indices.bin (int32), data.bin (float64) for CSR, and b.bin.
Prints one JSON object: {"numpy": version, "scipy": version, "blas": name,
"results": {name: {"seconds", "residual_norm", "iterations"?, "status"}}}.
Exits 3 with {"skipped": reason} when NumPy or SciPy is missing.
"""
import json
import os
import sys
import time


def main():
    try:
        import numpy as np
        import scipy
        import scipy.sparse
        import scipy.sparse.linalg
    except ImportError as e:  # pragma: no cover - depends on the machine
        print(json.dumps({"skipped": "NumPy/SciPy not importable with %s: %s" % (sys.executable, e)}))
        sys.exit(3)
    d = sys.argv[1]
    h = json.load(open(os.path.join(d, "header.json")))
    n, k = h["n"], h["d"]
    b = np.fromfile(os.path.join(d, "b.bin"), dtype="<f8")
    if h["format"] == "dense":
        A = np.fromfile(os.path.join(d, "A.bin"), dtype="<f8").reshape(n, k)
    else:
        indptr = np.fromfile(os.path.join(d, "indptr.bin"), dtype="<i8")
        indices = np.fromfile(os.path.join(d, "indices.bin"), dtype="<i4")
        data = np.fromfile(os.path.join(d, "data.bin"), dtype="<f8")
        A = scipy.sparse.csr_matrix((data, indices, indptr), shape=(n, k))
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        try:
            import ctypes.util
            blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
        except Exception:
            pass
    out = {"numpy": np.__version__, "scipy": scipy.__version__, "blas": blas,
           "threads": os.environ.get("OPENBLAS_NUM_THREADS", ""), "results": {}}
    for name in h.get("run", ["lstsq", "lsqr"]):
        t = time.perf_counter()
        if name == "lstsq":
            dense = A if h["format"] == "dense" else A.toarray()
            x = np.linalg.lstsq(dense, b, rcond=None)[0]
            r = {"status": "converged"}
        elif name == "lsqr":
            res = scipy.sparse.linalg.lsqr(A, b, atol=h.get("lsqr_tol", 1e-14), btol=h.get("lsqr_tol", 1e-14),
                                           iter_lim=h.get("lsqr_iter_lim", 20000))
            x, istop, itn = res[0], res[1], res[2]
            r = {"status": "converged" if istop in (1, 2, 4, 5) else "iteration-limit", "iterations": int(itn)}
        else:
            continue
        r["seconds"] = time.perf_counter() - t
        r["residual_norm"] = float(np.linalg.norm(A @ x - b))
        x.astype("<f8").tofile(os.path.join(d, "x_%s.bin" % name))
        out["results"][name] = r
    print(json.dumps(out))


if __name__ == "__main__":
    main()
