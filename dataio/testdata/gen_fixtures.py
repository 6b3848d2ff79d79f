"""Writes the NumPy/SciPy-made fixtures in this folder.

Run from dataio/testdata with Debian's Python (python3-numpy, python3-scipy):

    /usr/bin/python3 gen_fixtures.py

The tests only read the files; they never run Python. Every matrix is
a[i, j] = (i+1) - (j+1)/4 (exact in float32) or, for integer dtypes,
10*(i+1) - (j+1), with shape 3 x 4 so a transposition shows.
"""
import numpy as np
import scipy.io
import scipy.sparse

r, c = 3, 4
i, j = np.meshgrid(np.arange(1, r + 1), np.arange(1, c + 1), indexing="ij")
a = (i - j / 4.0).astype("<f8")
ai = (10 * i - j)

np.save("np_f8_c.npy", a)
np.save("np_f8_f.npy", np.asfortranarray(a))
np.save("np_f4_c.npy", a.astype("<f4"))
np.save("np_f4_f.npy", np.asfortranarray(a.astype("<f4")))
np.save("np_i4_c.npy", ai.astype("<i4"))
np.save("np_i8_f.npy", np.asfortranarray(ai.astype("<i8")))
np.save("np_f8_1d.npy", a[:, 0].copy())          # shape (3,)
np.save("np_f8_0d.npy", np.float64(2.5))         # shape ()
for v in [(2, 0), (3, 0)]:
    with open("np_f8_v%d.npy" % v[0], "wb") as f:
        np.lib.format.write_array(f, a, version=v)
np.save("np_f8_be.npy", a.astype(">f8"))         # rejected: big-endian
np.save("np_c16.npy", a.astype("<c16"))          # rejected: complex
np.save("np_bool.npy", a > 1)                    # rejected: bool
np.save("np_3d.npy", np.zeros((2, 2, 2)))        # rejected: 3-d

# MatrixMarket. Sparse: s[i, j] = a[i, j] on a pattern of 5 entries.
rows = np.array([0, 0, 1, 2, 2])
cols = np.array([0, 3, 1, 0, 2])
s = scipy.sparse.coo_matrix((a[rows, cols], (rows, cols)), shape=(r, c))
scipy.io.mmwrite("sp_real.mtx", s, comment="scipy coordinate real general")
scipy.io.mmwrite("sp_int.mtx", scipy.sparse.coo_matrix((ai[rows, cols], (rows, cols)), shape=(r, c)),
                 field="integer")
scipy.io.mmwrite("sp_pattern.mtx", s, field="pattern")
# Symmetric 4 x 4: m[p, q] = m[q, p] = (p+1) + (q+1)/4 on a few entries.
p = np.array([0, 1, 3, 3, 2])
q = np.array([0, 0, 1, 3, 2])
sv = (p + 1) + (q + 1) / 4.0
sym = scipy.sparse.coo_matrix((sv, (p, q)), shape=(4, 4))
sym = sym + scipy.sparse.triu(sym.T, k=1)
scipy.io.mmwrite("sp_sym.mtx", sym, symmetry="symmetric")
skew = scipy.sparse.coo_matrix((sv[[1, 2]], (p[[1, 2]], q[[1, 2]])), shape=(4, 4))
skew = skew - skew.T
scipy.io.mmwrite("sp_skew.mtx", skew, symmetry="skew-symmetric")
scipy.io.mmwrite("dense_real.mtx", a)
dsym = np.array([[1.0, 2.5, -3.0], [2.5, 4.0, 0.5], [-3.0, 0.5, 6.0]])
scipy.io.mmwrite("dense_sym.mtx", dsym, symmetry="symmetric")
dskew = np.array([[0.0, 2.5, -3.0], [-2.5, 0.0, 0.5], [3.0, -0.5, 0.0]])
scipy.io.mmwrite("dense_skew.mtx", dskew, symmetry="skew-symmetric")
