"""The binding matches the header it was written for: version, struct layouts
(checked against the C compiler's own sizeof/offsetof), and how the library
is found."""

import ctypes
import os
import re
import subprocess
import sys

import pytest

import smartplayer
from smartplayer import _capi

SOURCE_DIR = os.environ.get("SP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HEADER = os.path.join(SOURCE_DIR, "include", "smartplayer.h")


def header_version():
    text = open(HEADER).read()
    return tuple(int(re.search(rf"#define SP_VERSION_{p} (\d+)", text).group(1)) for p in ("MAJOR", "MINOR", "PATCH"))


def test_versions_agree():
    major, minor, patch = header_version()
    assert smartplayer.BINDING_VERSION == (major, minor, patch)
    assert smartplayer.version_number() == major * 1000000 + minor * 1000 + patch
    assert smartplayer.version() == f"{major}.{minor}.{patch}"
    assert smartplayer.__version__ == smartplayer.version()


def test_struct_layouts_match_the_c_compiler(tmp_path):
    # A C program prints sizeof and every field's offset as the compiler lays
    # them out; the ctypes declarations must agree byte for byte.
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "smartplayer.h"', "int main(void) {"]
    for cname, cls in _capi.STRUCTS.items():
        lines.append(f'printf("{cname} size %zu\\n", sizeof({cname}));')
        for field, _ in cls._fields_:
            lines.append(f'printf("{cname} {field} %zu\\n", offsetof({cname}, {field}));')
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-I", os.path.dirname(HEADER), str(src), "-o", str(exe)], check=True)
    c_layout = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    py_layout = []
    for cname, cls in _capi.STRUCTS.items():
        py_layout.append(f"{cname} size {ctypes.sizeof(cls)}")
        for field, _ in cls._fields_:
            py_layout.append(f"{cname} {field} {getattr(cls, field).offset}")
    assert [l for l in c_layout if l] == py_layout


def test_the_library_is_found_where_it_was_asked_for():
    # Under CTest the environment names the build tree's library.
    assert os.environ.get("SMARTPLAYER_LIBRARY")
    smartplayer.load_library()
    assert os.path.realpath(smartplayer.library_path()) == os.path.realpath(
        smartplayer._library._as_file(os.environ["SMARTPLAYER_LIBRARY"]))
    # Asking for another copy once one is loaded is refused, not ignored.
    with pytest.raises(OSError, match="already loaded"):
        smartplayer.load_library("/nonexistent/libsmartplayer.so")


def test_a_wrong_path_is_an_error_not_a_fallback(tmp_path):
    # In a fresh interpreter: a named library that does not exist fails with
    # the path and how it was named.
    code = "import smartplayer; smartplayer.load_library()"
    env = dict(os.environ, SMARTPLAYER_LIBRARY=str(tmp_path / "nowhere" / "libsmartplayer.so"))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "SMARTPLAYER_LIBRARY" in r.stderr and "nowhere" in r.stderr
    # A directory works as well as the file.
    env["SMARTPLAYER_LIBRARY"] = os.path.dirname(os.path.realpath(smartplayer.library_path()))
    code = "import smartplayer; print(smartplayer.version(), smartplayer.library_path())"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(smartplayer.version())


def header_functions():
    text = open(HEADER).read()
    return set(re.findall(r"^SP_API\s+[^;(]*?\b(sp_\w+)\s*\(", text, re.M))


def test_every_public_function_is_bound_or_listed():
    # Keeps the binding in step with the header: a function added to
    # smartplayer.h must be bound in _capi.PROTOTYPES (and given a Python form,
    # listed in bindings/python/README.md) or named in _capi.NOT_BOUND with
    # the reason.
    declared = header_functions()
    assert len(declared) > 30  # the parse found the API
    missing = declared - set(_capi.PROTOTYPES) - set(_capi.NOT_BOUND)
    assert not missing, (
        f"{sorted(missing)} declared in include/smartplayer.h but neither bound in "
        "bindings/python/smartplayer/_capi.py PROTOTYPES nor listed in NOT_BOUND with a reason")
    stale = (set(_capi.PROTOTYPES) | set(_capi.NOT_BOUND)) - declared
    assert not stale, f"{sorted(stale)} bound or listed but no longer in the header"
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    undocumented = [f for f in declared if f"`{f}`" not in readme]
    assert not undocumented, f"{sorted(undocumented)} missing from bindings/python/README.md's table"
