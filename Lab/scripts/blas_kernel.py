"""The OpenBLAS kernel set the machine selects (or `OPENBLAS_CORETYPE` forces), printed by
the benchmark scripts: RAKI's last digits depend on it (RELIABILITY.md). The metagrappa
binaries load the same libopenblas with the same environment, so they select the same one."""
import ctypes
import os


def openblas_kernel():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown (libopenblas.so.0 not loadable)"


def print_kernel():
    forced = os.environ.get("OPENBLAS_CORETYPE")
    print(f"OpenBLAS kernel: {openblas_kernel()} (OPENBLAS_CORETYPE {forced or 'unset'})", flush=True)
