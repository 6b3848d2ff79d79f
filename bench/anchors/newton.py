#!/usr/bin/python3
"""Outside anchors for `sketchwork bench newton`: NumPy exact Newton and
SciPy L-BFGS-B on the same regularized softmax-family instance the Go
benchmark solves, in the same run.

Usage: /usr/bin/python3 bench/anchors/newton.py DIR
DIR holds header.json {"n", "d", "loss": "softmax"|"resnet-softmax"|"two-layer",
"tol", "max_iter", "lbfgs_max_iter", "time_limit", "run": ["newton", "lbfgsb"]}
and raw little-endian float64 files A.bin (dense, row-major n x d), b.bin and
w.bin (regularization weights, length n). The loss is
    L(x) = 1/2 ||phi(u(Ax)/<u(Ax),1>) - b||^2 + 1/2 ||w * Ax||^2
with u = exp (softmax, two-layer) or exp(t) + t (resnet-softmax) and
phi = identity, or softplus for two-layer (reading R1). Gradient and Hessian
follow newton-regressions.md section 3 (Hessian = A^T (diag + rank 2) A).
Both methods start at x = 0 and stop when ||g|| <= tol * ||g_0||.
Prints one JSON object {"numpy", "scipy", "blas", "results": {name: {"seconds",
"iterations", "grad_rel", "status", "seconds_to_tol"}}}; exits 3 with
{"skipped": reason} when NumPy or SciPy is missing.
"""
import json
import os
import sys
import time


def main():
    try:
        import numpy as np
        import scipy
        import scipy.optimize
    except ImportError as e:  # depends on the machine
        print(json.dumps({"skipped": "NumPy/SciPy not importable with %s: %s" % (sys.executable, e)}))
        sys.exit(3)
    d = sys.argv[1]
    h = json.load(open(os.path.join(d, "header.json")))
    n, k = h["n"], h["d"]
    A = np.fromfile(os.path.join(d, "A.bin"), dtype="<f8").reshape(n, k)
    b = np.fromfile(os.path.join(d, "b.bin"), dtype="<f8")
    w = np.fromfile(os.path.join(d, "w.bin"), dtype="<f8")
    w2 = w * w
    loss = h["loss"]
    tol = h.get("tol", 1e-10)

    def first(z):
        if loss == "resnet-softmax":
            e = np.exp(z)
            return e + z, e + 1.0, e
        e = np.exp(z - z.max())
        return e, e, e

    def phi(t):
        if loss != "two-layer":
            return t, np.ones_like(t), np.zeros_like(t)
        s = 1.0 / (1.0 + np.exp(-t))
        return np.logaddexp(0.0, t), s, s * (1.0 - s)

    def value_grad(x, need_hess=False, need_grad=True):
        z = A @ x
        u, u1, u2 = first(z)
        alpha = u.sum()
        if not alpha > 0:
            raise FloatingPointError("normalizer not positive")
        f = u / alpha
        p = u1 / alpha
        y, d1, d2 = phi(f)
        e = y - b
        q = d1 * e
        s = q @ f
        qh = q - s
        val = 0.5 * (e @ e) + 0.5 * (w2 @ (z * z))
        if not need_grad:
            return val, None, None
        gz = p * qh + w2 * z
        g = A.T @ gz
        if not need_hess:
            return val, g, None
        gam = d1 * d1 + e * d2
        delta = gam * p * p + (u2 / alpha) * qh + w2
        kappa = gam @ (f * f)
        v = p * (gam * f + qh)
        H = A.T @ (delta[:, None] * A)
        Q = A.T @ np.stack([p, v], axis=1)
        K = np.array([[kappa, -1.0], [-1.0, 0.0]])
        H += Q @ K @ Q.T
        return val, g, H

    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    out = {"numpy": np.__version__, "scipy": scipy.__version__, "blas": blas,
           "threads": os.environ.get("OPENBLAS_NUM_THREADS", ""), "results": {}}
    x0 = np.zeros(k)
    limit = h.get("time_limit", 120.0)
    for name in h.get("run", ["newton", "lbfgsb"]):
        t0 = time.perf_counter()
        if name == "newton":
            # Exact Newton with Armijo backtracking until a full step is accepted
            # and the Newton decrement is small (lambda^2/2 <= 1e-6 |L|), then
            # pure unit steps: the same step control as sketchwork's default.
            x = x0.copy()
            val, g, H = value_grad(x, True)
            g0 = np.linalg.norm(g)
            it, status, local = 0, "iteration-limit", False
            while it < h.get("max_iter", 100):
                if np.linalg.norm(g) <= tol * g0:
                    status = "converged"
                    break
                try:
                    c = np.linalg.cholesky(H)
                    step = np.linalg.solve(c.T, np.linalg.solve(c, g))
                except np.linalg.LinAlgError:
                    step = np.linalg.lstsq(H + 1e-8 * np.trace(H) / k * np.eye(k), g, rcond=None)[0]
                dec = g @ step
                eta = 1.0
                if local:
                    # Local phase: pure unit steps (near x* the Armijo test
                    # compares values equal to rounding), as sketchwork does.
                    xt = x - step
                else:
                    accepted = False
                    for _ in range(40):
                        xt = x - eta * step
                        try:
                            vt, _, _ = value_grad(xt, need_grad=False)
                        except FloatingPointError:
                            vt = np.inf
                        if vt <= val - 1e-4 * eta * dec:
                            accepted = True
                            break
                        eta /= 2
                    if not accepted:
                        xt = x - step
                    local = accepted and eta == 1.0 and dec / 2 <= 1e-6 * abs(val)
                x = xt
                val, g, H = value_grad(x, True)
                it += 1
                if time.perf_counter() - t0 > limit:
                    status = "time-limit"
                    break
            if np.linalg.norm(g) <= tol * g0:
                status = "converged"
            r = {"iterations": it, "grad_rel": float(np.linalg.norm(g) / g0), "status": status}
            r["seconds_to_tol"] = time.perf_counter() - t0 if status == "converged" else None
        elif name == "lbfgsb":
            g0 = np.linalg.norm(value_grad(x0)[1])
            reached = {"t": None, "best": np.inf}

            def fun(x):
                try:
                    val, g, _ = value_grad(x)
                except FloatingPointError:
                    return np.inf, np.zeros(k)
                gn = np.linalg.norm(g)
                reached["best"] = min(reached["best"], gn / g0)
                if reached["t"] is None and gn <= tol * g0:
                    reached["t"] = time.perf_counter() - t0
                return val, g

            res = scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B",
                                          options={"maxiter": h.get("lbfgs_max_iter", 1000), "maxcor": 10,
                                                   "gtol": 0.0, "ftol": 0.0, "maxfun": 10 * h.get("lbfgs_max_iter", 1000)})
            gfin = np.linalg.norm(value_grad(res.x)[1]) / g0
            r = {"iterations": int(res.nit), "grad_rel": float(min(gfin, reached["best"])),
                 "status": "converged" if reached["t"] is not None else "stalled: " + str(res.message),
                 "seconds_to_tol": reached["t"]}
        else:
            continue
        r["seconds"] = time.perf_counter() - t0
        out["results"][name] = r
    print(json.dumps(out))


if __name__ == "__main__":
    main()
