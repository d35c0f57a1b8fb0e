"""Finding and loading libsmartplayer.so.

Where the library is looked for, in order (the first place that is named
or exists wins; a place that is named but does not load is an error, not a
reason to try the next):

1. the path given to load_library(path) (a .so file or its directory);
2. the SMARTPLAYER_LIBRARY environment variable (same forms), e.g. the
   build tree's build/src/libsmartplayer.so;
3. where `cmake --install` put it, relative to this package's installed
   location (the relative path is written into _install.py at install
   time, so a moved prefix still works);
4. the system loader (ld.so's cache and LD_LIBRARY_PATH), by soname.
"""

import ctypes
import os
import threading

from . import _capi

# The header version this binding was written against.
BINDING_VERSION = (0, 2, 0)
ENV_VAR = "SMARTPLAYER_LIBRARY"

_lock = threading.Lock()
_lib = None
_lib_path = None


def _soname():
    major, minor, _ = BINDING_VERSION
    # Before 1.0 the soname carries the minor version (docs/api.md).
    return f"libsmartplayer.so.{major}.{minor}" if major == 0 else f"libsmartplayer.so.{major}"


def _as_file(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in (_soname(), "libsmartplayer.so"):
            cand = os.path.join(path, name)
            if os.path.exists(cand):
                return cand
        return os.path.join(path, "libsmartplayer.so")
    return path


def _installed_candidate():
    try:
        from ._install import LIBDIR  # written by cmake --install
    except ImportError:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    libdir = LIBDIR if os.path.isabs(LIBDIR) else os.path.normpath(os.path.join(here, LIBDIR))
    cand = _as_file(libdir)
    return cand if os.path.exists(cand) else None


def _compatible(number):
    major, minor, patch = number // 1000000, number // 1000 % 1000, number % 1000
    want = BINDING_VERSION
    if want[0] == 0:  # 0.x: every minor may change the ABI
        return (major, minor) == want[:2]
    return major == want[0] and (minor, patch) >= want[1:]


def _open(path, how):
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise OSError(f"libsmartplayer: cannot load {path} ({how}): {e}") from e
    try:
        _capi.bind(lib)
    except AttributeError as e:
        raise OSError(f"libsmartplayer: {path} ({how}) lacks a function this binding needs: {e}") from e
    number = lib.sp_version_number()
    if not _compatible(number):
        have = lib.sp_version_string().decode()
        want = ".".join(map(str, BINDING_VERSION))
        raise OSError(f"libsmartplayer: {path} ({how}) is version {have}; this binding needs {want}")
    return lib


def load_library(path=None):
    """Load libsmartplayer once per process and return the ctypes.CDLL.

    `path` (a file or directory) overrides the search; after the first load
    the same library is returned (asking for a different path then is an
    error: one process holds one copy).
    """
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            if path is not None and os.path.realpath(_as_file(path)) != os.path.realpath(_lib_path):
                raise OSError(f"libsmartplayer is already loaded from {_lib_path}")
            return _lib
        if path is not None:
            cand, how = _as_file(path), "explicit path"
        elif os.environ.get(ENV_VAR):
            cand, how = _as_file(os.environ[ENV_VAR]), ENV_VAR
        else:
            cand, how = _installed_candidate(), "installed beside this package"
        if cand is not None:
            _lib, _lib_path = _open(cand, how), cand
            return _lib
        errors = []
        for name in (_soname(), "libsmartplayer.so"):
            try:
                _lib, _lib_path = _open(name, "system loader"), name
                return _lib
            except OSError as e:
                errors.append(str(e))
        raise OSError(
            "libsmartplayer not found: pass load_library(path), set "
            f"{ENV_VAR}=/path/to/libsmartplayer.so, install it with cmake --install, "
            "or put it on the loader's path (" + "; ".join(errors) + ")"
        )


def library_path():
    """Where the loaded library came from (None before the first load)."""
    return _lib_path
