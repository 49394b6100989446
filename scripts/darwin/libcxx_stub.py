"""Writes a TAPI (.tbd v4) stub of Apple's /usr/lib/libc++.1.dylib for arm64 macOS that lists only the libc++
symbols known to exist there: those that Apple-linked binaries (the mlx-metal wheel's libmlx.dylib, ...) import
from it, plus the reviewed ALLOWED_EXTRA. Linking libvmlx against this stub fails on any other libc++ symbol, so a
newer libc++ symbol that macOS 14 lacks can never slip into the binary.

usage: python libcxx_stub.py OUT.tbd APPLE_BINARY...
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from macho import imports, parse_thin  # noqa: E402

LIBCXX = "/usr/lib/libc++.1.dylib"

# Reviewed: present in Apple's libc++ on every macOS the binary supports (14+).
ALLOWED_EXTRA = {
    "__ZNSt3__18to_charsEPcS0_d": "std::to_chars(double): LLVM 14, macOS 13.3",
    "__ZNSt3__18to_charsEPcS0_f": "std::to_chars(float): LLVM 14, macOS 13.3",
    "__ZdlPvm": "sized operator delete: macOS 10.12",
    # Out-of-line in libc++'s dylib since its first ABI version (macOS 10.7); used by ffi/src/thread_pool.cpp.
    "__ZNSt3__15mutex8try_lockEv": "std::mutex::try_lock(): libc++ ABI v1, macOS 10.7",
    "__ZNSt3__16thread6detachEv": "std::thread::detach(): libc++ ABI v1, macOS 10.7",
}


def libcxx_imports(path: str) -> set[str]:
    """Symbols the Mach-O at `path` binds to libc++ (two-level namespace)."""
    return {name for name, lib in imports(parse_thin(path)) if lib == LIBCXX}


def main(out: str, binaries: list[str]) -> None:
    symbols = set(ALLOWED_EXTRA)
    for path in binaries:
        symbols |= libcxx_imports(path)
    quoted = ",\n                       ".join(f"'{s}'" for s in sorted(symbols))
    with open(out, "w") as f:
        f.write("--- !tapi-tbd\n"
                "tbd-version:     4\n"
                "targets:         [ arm64-macos ]\n"
                f"install-name:    '{LIBCXX}'\n"
                "current-version: 1700\n"
                "compatibility-version: 1\n"
                "exports:\n"
                "  - targets:         [ arm64-macos ]\n"
                f"    symbols:         [ {quoted} ]\n"
                "...\n")
    print(f"libcxx_stub: {out}: {len(symbols)} symbols")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
