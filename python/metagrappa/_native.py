"""The Swift library behind the package, loaded with ctypes, and the calls into it.

ctypes releases the GIL for the duration of every call, so reconstructions in other
threads run in parallel with Python code."""
import ctypes
import json
import os
import sys

import numpy as np

_PATH = os.environ.get("METAGRAPPA_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "libMetaGrappaC.so")
_ERROR_CAPACITY = 4096
_INFO_CAPACITY = 65536

try:
    _lib = ctypes.CDLL(_PATH)
except OSError as e:  # pragma: no cover - an installation problem, not a usage one
    raise ImportError(f"metagrappa: cannot load the native library {_PATH}: {e} (reinstall with `pip install ./python`)") from e

_f32p = ctypes.POINTER(ctypes.c_float)
_u8p = ctypes.POINTER(ctypes.c_uint8)
_i32p = ctypes.POINTER(ctypes.c_int32)
_i64p = ctypes.POINTER(ctypes.c_int64)
_str = ctypes.c_char_p
_buf = ctypes.c_char_p
_cap = ctypes.c_int64
_int = ctypes.c_int32


def _declare(name, args, result=ctypes.c_int32):
    f = getattr(_lib, name)
    f.argtypes, f.restype = args, result
    return f


_set_threads = _declare("mg_set_threads", [_int], None)
_threads = _declare("mg_threads", [], ctypes.c_int32)
_uniform_mask = _declare("mg_uniform_mask", [_int, _int, _int, _u8p, _buf, _cap])
_reconstruct = _declare("mg_reconstruct", [_str, _f32p, _int, _int, _int, _u8p, _str, _f32p, _buf, _cap, _buf, _cap])
_grappa_volume = _declare("mg_grappa_volume", [_f32p, _int, _int, _int, _int, _u8p, _str, _f32p, _buf, _cap, _buf, _cap])
_rss = _declare("mg_rss", [_f32p, _int, _int, _int, _f32p, _buf, _cap])
_calibrate = _declare("mg_calibrate", [_f32p, _int, _int, _int, _u8p, _str, _u8p, _cap, _i64p, _buf, _cap])
_kernel_info = _declare("mg_kernel_info", [_u8p, _cap, _buf, _cap, _buf, _cap])
_apply_kernel = _declare("mg_apply_kernel", [_u8p, _cap, _f32p, _int, _int, _int, _u8p, _f32p, _buf, _cap])
_gfactor = _declare("mg_gfactor", [_f32p, _int, _int, _int, _u8p, _str, _f32p, _buf, _cap])
_read_open = _declare("mg_read_open", [_str, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_void_p), _i32p, _buf,
                                       _cap, _buf, _cap])
_probe_hdf5 = _declare("mg_probe_hdf5", [_str, _buf, _cap])
_read_slice = _declare("mg_read_slice", [ctypes.c_void_p, _int, _f32p, _u8p, _i32p, _buf, _cap])
_read_noise = _declare("mg_read_noise", [ctypes.c_void_p, _f32p, _buf, _cap])
_read_close = _declare("mg_read_close", [ctypes.c_void_p], None)
_combine = _declare("mg_combine", [_f32p, _int, _int, _int, _str, _f32p, _buf, _cap])
_write_image = _declare("mg_write_image", [_str, _f32p, _int, _int, _int, _str, _buf, _cap])
_write = _declare("mg_write", [_str, _f32p, _int, _int, _int, _int, _buf, _cap])
_version = _declare("mg_version", [_buf, _cap], None)
_settings = _declare("mg_settings", [_buf, _cap], ctypes.c_int64)


def _check(status, error):
    """Raises the library's error: OSError for files that cannot be read or written (66),
    ValueError for everything else (bad arguments, bad data, numerical failures)."""
    if status == 0:
        return
    message = error.value.decode("utf-8", "replace")
    if status == 66:
        raise OSError(message)
    raise ValueError(message)


def _error():
    return ctypes.create_string_buffer(_ERROR_CAPACITY)


def f32(a):
    return a.ctypes.data_as(_f32p)


def u8(a):
    return a.ctypes.data_as(_u8p)


def set_threads(n):
    _set_threads(int(n))  # checked by metagrappa.set_threads


def threads():
    return int(_threads())


def version():
    out = ctypes.create_string_buffer(64)
    _version(out, 64)
    return out.value.decode()


def settings():
    """The library's reconstruction settings (its one list), as dicts."""
    size = 1 << 16
    while True:
        out = ctypes.create_string_buffer(size)
        needed = _settings(out, size)
        if needed <= size:
            return json.loads(out.value.decode())
        size = needed


def uniform_mask(ny, accel, acs):
    out = np.zeros(ny, dtype=np.uint8)
    err = _error()
    _check(_uniform_mask(ny, accel, acs, u8(out), err, _ERROR_CAPACITY), err)
    return out.astype(bool)


def reconstruct(method, k, mask, options):
    """`k` complex64 C-contiguous [coils, ny, nx], `mask` uint8 [ny]; returns (out, info)."""
    out = np.empty_like(k)
    err, info = _error(), ctypes.create_string_buffer(_INFO_CAPACITY)
    status = _reconstruct(method.encode(), f32(k), *k.shape, u8(mask), json.dumps(options).encode(), f32(out),
                          info, _INFO_CAPACITY, err, _ERROR_CAPACITY)
    _check(status, err)
    return out, json.loads(info.value.decode() or "{}")


def grappa_volume(k, mask, options):
    """`k` complex64 C-contiguous [partitions, coils, ny, nx], `mask` uint8 [partitions, ny]; returns (out, info)."""
    out = np.empty_like(k)
    err, info = _error(), ctypes.create_string_buffer(_INFO_CAPACITY)
    status = _grappa_volume(f32(k), *k.shape, u8(mask), json.dumps(options).encode(), f32(out), info, _INFO_CAPACITY,
                            err, _ERROR_CAPACITY)
    _check(status, err)
    return out, json.loads(info.value.decode() or "{}")


def rss(k):
    out = np.empty(k.shape[1:], dtype=np.float32)
    err = _error()
    _check(_rss(f32(k), *k.shape, f32(out), err, _ERROR_CAPACITY), err)
    return out


def calibrate(k, mask, options):
    size = ctypes.c_int64(0)
    err = _error()
    capacity = 1 << 16
    while True:
        out = np.zeros(capacity, dtype=np.uint8)
        _check(_calibrate(f32(k), *k.shape, u8(mask), json.dumps(options).encode(), u8(out), capacity, ctypes.byref(size),
                          err, _ERROR_CAPACITY), err)
        if size.value <= capacity:
            return out[:size.value].tobytes()
        capacity = size.value


def kernel_info(data):
    buf = np.frombuffer(data, dtype=np.uint8).copy()
    err, info = _error(), ctypes.create_string_buffer(_INFO_CAPACITY)
    _check(_kernel_info(u8(buf), len(buf), info, _INFO_CAPACITY, err, _ERROR_CAPACITY), err)
    return json.loads(info.value.decode())


def apply_kernel(data, k, mask):
    buf = np.frombuffer(data, dtype=np.uint8).copy()
    out = np.empty_like(k)
    err = _error()
    _check(_apply_kernel(u8(buf), len(buf), f32(k), *k.shape, u8(mask), f32(out), err, _ERROR_CAPACITY), err)
    return out


def gfactor(k, mask, options):
    out = np.empty(k.shape[1:], dtype=np.float32)
    err = _error()
    _check(_gfactor(f32(k), *k.shape, u8(mask), json.dumps(options).encode(), f32(out), err, _ERROR_CAPACITY), err)
    return out


# HDF5 files are first read by `python -m metagrappa._probe FILE` in a child process: a
# damaged file can crash libhdf5, and must not take the caller's interpreter with it.
_PROBE = [sys.executable.encode(), b"-m", b"metagrappa._probe"]


def probe_hdf5(path):
    """The child's half of the HDF5 probe: (status, message)."""
    err = _error()
    status = _probe_hdf5(os.fsencode(path), err, _ERROR_CAPACITY)
    return status, err.value.decode("utf-8", "replace")


def read(path, slice_index=None):
    handle = ctypes.c_void_p()
    shape = (ctypes.c_int32 * 4)()
    err, info = _error(), ctypes.create_string_buffer(_INFO_CAPACITY)
    probe = (ctypes.c_char_p * (len(_PROBE) + 1))(*_PROBE, None)
    _check(_read_open(os.fsencode(path), probe, ctypes.byref(handle), shape, info, _INFO_CAPACITY, err, _ERROR_CAPACITY), err)
    try:
        slices, coils, ny, nx = list(shape)
        chosen = range(slices) if slice_index is None else [slice_index]
        if slice_index is not None and not 0 <= slice_index < slices:
            raise ValueError(f"{path}: slice {slice_index} requested, the file has {slices} (0…{slices - 1})")
        k = np.empty((len(chosen), coils, ny, nx), dtype=np.complex64)
        masks = np.zeros((len(chosen), ny), dtype=np.uint8)
        recorded = ctypes.c_int32(0)
        for i, s in enumerate(chosen):
            _check(_read_slice(handle, s, f32(k[i]), u8(masks[i]), ctypes.byref(recorded), err, _ERROR_CAPACITY), err)
        meta = json.loads(info.value.decode())
        meta["slices"] = slices
        meta["noise"] = None
        if meta["noise_shape"] is not None:
            meta["noise"] = np.empty(meta["noise_shape"], dtype=np.complex64)
            _check(_read_noise(handle, f32(meta["noise"]), err, _ERROR_CAPACITY), err)
        return k, (masks.astype(bool) if recorded.value else None), meta
    finally:
        _read_close(handle)


def write(path, k):
    """`k` complex64 C-contiguous [slices, coils, ny, nx]."""
    err = _error()
    _check(_write(os.fsencode(path), f32(k), *k.shape, err, _ERROR_CAPACITY), err)


def combine(k, method):
    """`k` complex64 C-contiguous [coils, ny, nx]; the combined complex64 image [ny, nx]."""
    err = _error()
    out = np.empty(k.shape[1:], dtype=np.complex64)
    _check(_combine(f32(k), *k.shape, method.encode(), f32(out), err, _ERROR_CAPACITY), err)
    return out


def write_image(path, images, geometry):
    """`images` float32 C-contiguous [slices, ny, nx]; `geometry` a JSON string or None."""
    err = _error()
    _check(_write_image(os.fsencode(path), f32(images), *images.shape, None if geometry is None else geometry.encode(), err,
                        _ERROR_CAPACITY), err)
