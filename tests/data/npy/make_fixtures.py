#!/usr/bin/env python3
"""Writes the .npy fixtures of tests/unit/npy.cpp with NumPy itself.

Run from this directory with NumPy installed (`pip install numpy`; made with NumPy 2.4):
    python3 make_fixtures.py
Each file holds np.arange(size) (or a pattern from it) in a dtype, shape, byte order and
memory order that tests/unit/npy.cpp checks element by element.
"""
import numpy as np


def save(name, array):
    np.save(name, array, allow_pickle=False)


save("f32_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 4)
save("f64_fortran_3x4.npy", np.asfortranarray(np.arange(12, dtype="<f8").reshape(3, 4) - 5.5))
save("i32_big_endian_5.npy", (np.arange(5, dtype=">i4") - 2) * 1000)
save("i64_fortran_big_endian_2x3x2.npy",
     np.asfortranarray(np.arange(12, dtype=">i8").reshape(2, 3, 2) * -(2 ** 40)))
save("u32_4.npy", np.array([0, 1, 2 ** 31, 2 ** 32 - 1], dtype="<u4"))
save("f16_2x2.npy", np.array([[0.5, -1.0], [65504.0, 2.0 ** -24]], dtype="<f2"))
save("bool_2x3.npy", np.arange(6).reshape(2, 3) % 2 == 1)
save("f64_scalar.npy", np.array(3.25, dtype="<f8"))
save("f32_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"))
