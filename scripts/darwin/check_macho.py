"""Structural checks of the darwin-arm64 build, without a Mac. LIEF reads every Mach-O file; this script reads only
the code-signing blobs that LC_CODE_SIGNATURE points at (Apple's SuperBlob and CodeDirectory, big-endian records
that LIEF hands over as bytes) and re-hashes the pages they cover.

usage: python check_macho.py CONFIG.json
CONFIG: {
  "minos": "14.0",                        # every dylib's LC_BUILD_VERSION minos; the executable's may be lower
  "libDir": ".../mlx/lib",                # the embedded libraries, in the layout they have at run time
  "dylibs": ["libvmlx.dylib", "libmlx.dylib"],
  "libcxxStub": ".../libc++.tbd",         # the allowed libc++ symbols (libcxx_stub.py)
  "libSystemTbd": ".../libSystem.tbd",    # zig's stub of libSystem: the allowed libSystem symbols
  "tsSymbols": [...],                     # every symbol src/mlx/ffi binds
  "binary": "dist/vllm-mlx-darwin-arm64", # optional: the Bun executable that embeds `embedded`
  "embedded": [".../libvmlx.dylib", ...],
  "sharp": {"root": ".../sharp-npm/darwin-arm64",   # sharp's addon and libvips, in the layout the binary
            "addon": "@img/sharp-darwin-arm64/lib/sharp-darwin-arm64-0.35.5.node",   # unpacks them in
            "libvips": "@img/sharp-libvips-darwin-arm64/lib/libvips-cpp.8.18.7.dylib"}
}
Prints one line per check ("ok" or "FAIL") and exits 1 if any failed.
"""
import hashlib
import json
import mmap
import os
import re
import struct
import sys

import lief

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from macho import dependencies, dylib_id, imports  # noqa: E402

LIBSYSTEM = "/usr/lib/libSystem.B.dylib"
LIBCXX = "/usr/lib/libc++.1.dylib"
LIBOBJC = "/usr/lib/libobjc.A.dylib"
FRAMEWORKS = "/System/Library/Frameworks/"

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CS_HASHTYPE = {1: "sha1", 2: "sha256"}
CS_ADHOC = 0x2
CS_RUNTIME = 0x10000

failures = 0


def report(ok: bool, what: str) -> None:
    global failures
    if not ok:
        failures += 1
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def parse(path: str) -> lief.MachO.Binary:
    fat = lief.MachO.parse(path)
    if fat is None:
        raise SystemExit(f"check_macho: LIEF cannot read {path}")
    report(fat.size == 1, f"{os.path.basename(path)}: thin Mach-O (slices: {fat.size})")
    return fat.at(0)


def version(v: list[int]) -> tuple[int, ...]:
    return tuple(v[:2])


def tbd_symbols(path: str) -> set[str]:
    """Every symbol name listed in a TAPI stub (.tbd): the quoted or bare words inside the symbol lists."""
    text = open(path).read()
    names: set[str] = set()
    for block in re.findall(r"(?:symbols|objc-classes|weak-symbols|thread-local-symbols):\s*\[([^\]]*)\]", text):
        names |= {w.strip().strip("'\"") for w in block.split(",") if w.strip()}
    return names


def check_signature(path: str, b: lief.MachO.Binary, data: bytes | mmap.mmap, executable: bool) -> int:
    """Checks the embedded ad-hoc signature page by page; returns the end of the signed range (codeLimit)."""
    name = os.path.basename(path)
    if not b.has_code_signature:
        report(False, f"{name}: has LC_CODE_SIGNATURE")
        return 0
    cs = b.code_signature
    linkedit = b.get_segment("__LINKEDIT")
    end = cs.data_offset + cs.data_size
    report(end <= len(data) and linkedit.file_offset + linkedit.file_size == len(data) and
           linkedit.file_offset <= cs.data_offset,
           f"{name}: signature at {cs.data_offset}+{cs.data_size} inside __LINKEDIT, which ends the file ({len(data)})")
    blob = bytes(data[cs.data_offset:end])
    magic, _length, count = struct.unpack_from(">III", blob, 0)
    if magic != CSMAGIC_EMBEDDED_SIGNATURE:
        report(False, f"{name}: SuperBlob magic {magic:#x}")
        return 0
    code_limit = 0
    directories = 0
    for i in range(count):
        _slot, offset = struct.unpack_from(">II", blob, 12 + 8 * i)
        if struct.unpack_from(">I", blob, offset)[0] != CSMAGIC_CODEDIRECTORY:
            continue
        directories += 1
        (cd_version, flags, hash_offset, _ident, _special, n_code, limit, hash_size, hash_type, _platform,
         page_log2) = struct.unpack_from(">IIIIIIIBBBB", blob, offset + 8)
        algo = CS_HASHTYPE.get(hash_type)
        if algo is None:
            report(False, f"{name}: CodeDirectory hash type {hash_type}")
            continue
        page = 1 << page_log2
        hashes = blob[offset + hash_offset: offset + hash_offset + n_code * hash_size]
        bad = [p for p in range(n_code)
               if hashlib.new(algo, data[p * page:min((p + 1) * page, limit)]).digest()[:hash_size] !=
               hashes[p * hash_size:(p + 1) * hash_size]]
        report(not bad and n_code == -(-limit // page),
               f"{name}: CodeDirectory v{cd_version:#x} {algo}: {n_code} pages of {page} bytes up to {limit}, "
               f"{len(bad)} bad" + (f" (first {bad[0]})" if bad else ""))
        report(limit == cs.data_offset, f"{name}: signed range ends where the signature starts ({limit})")
        report(bool(flags & CS_ADHOC), f"{name}: ad-hoc signature (flags {flags:#x})")
        if executable:
            # Library validation (hardened runtime) would refuse the ad-hoc-signed libraries it dlopens.
            report(not flags & CS_RUNTIME, f"{name}: no hardened runtime flag, so ad-hoc dylibs may be loaded")
        code_limit = limit
    report(directories >= 1, f"{name}: {directories} CodeDirectory blob(s)")
    return code_limit


def check_platform(name: str, b: lief.MachO.Binary, minos: tuple[int, ...], exact: bool) -> None:
    report(b.header.cpu_type == lief.MachO.Header.CPU_TYPE.ARM64 and b.header.cpu_subtype & 0xFF == 0,
           f"{name}: arm64 (cpu {b.header.cpu_type.name}, subtype {b.header.cpu_subtype & 0xFF})")
    if not b.has_build_version:
        report(False, f"{name}: LC_BUILD_VERSION")
        return
    bv = b.build_version
    got = version(bv.minos)
    ok = bv.platform == lief.MachO.BuildVersion.PLATFORMS.MACOS and (got == minos if exact else got <= minos)
    report(ok, f"{name}: macOS minos {'.'.join(map(str, got))} ({'=' if exact else '<='} {'.'.join(map(str, minos))})")


def check_dylibs(cfg: dict) -> None:
    lib_dir = cfg["libDir"]
    minos = tuple(int(x) for x in cfg["minos"].split("."))
    binaries = {n: parse(os.path.join(lib_dir, n)) for n in cfg["dylibs"]}
    libmlx = binaries["libmlx.dylib"]
    mlx_frameworks = {d for d in dependencies(libmlx) if d.startswith(FRAMEWORKS)}
    allowed = {LIBSYSTEM, LIBCXX, LIBOBJC, "@rpath/libmlx.dylib"} | mlx_frameworks
    for name, b in binaries.items():
        check_platform(name, b, minos, exact=True)
        report(b.header.file_type == lief.MachO.Header.FILE_TYPE.DYLIB, f"{name}: MH_DYLIB")
        report(dylib_id(b) == f"@rpath/{name}", f"{name}: install name {dylib_id(b)}")
        deps = dependencies(b)
        extra = [d for d in deps if d not in allowed]
        report(not extra, f"{name}: dependencies {deps}" + (f", not allowed: {extra}" if extra else ""))
        rpaths = [r.path for r in b.rpaths]
        for dep in (d for d in deps if d.startswith("@rpath/")):
            found = [r for r in rpaths if r == "@loader_path" and os.path.isfile(os.path.join(lib_dir, dep[7:]))]
            report(bool(found), f"{name}: {dep} found through LC_RPATH {rpaths}")

    vmlx = binaries["libvmlx.dylib"]
    report([r.path for r in vmlx.rpaths] == ["@loader_path"], f"libvmlx.dylib: LC_RPATH exactly @loader_path")
    report(sorted(dependencies(vmlx)) == sorted([LIBSYSTEM, LIBCXX, "@rpath/libmlx.dylib"]),
           "libvmlx.dylib: depends on libSystem, Apple's libc++.1 and @rpath/libmlx")
    check_bindings(cfg, vmlx, libmlx)
    for name in binaries:
        path = os.path.join(lib_dir, name)
        with open(path, "rb") as f:
            check_signature(path, binaries[name], f.read(), executable=False)


def check_bindings(cfg: dict, vmlx: lief.MachO.Binary, libmlx: lief.MachO.Binary) -> None:
    """Every undefined symbol of libvmlx, by the library its two-level binding names, is exported there."""
    known = {
        "@rpath/libmlx.dylib": {s.name for s in libmlx.exported_symbols},
        LIBCXX: tbd_symbols(cfg["libcxxStub"]),
        LIBSYSTEM: tbd_symbols(cfg["libSystemTbd"]),
    }
    counts: dict[str, int] = {}
    unbound = []
    for name, lib in imports(vmlx):
        counts[str(lib)] = counts.get(str(lib), 0) + 1
        if lib not in known or name not in known[lib]:
            unbound.append(f"{name} ({lib})")
    report(not unbound, f"libvmlx.dylib: every imported symbol is exported by its library {counts}" +
           (f"; not: {unbound[:20]}" if unbound else ""))
    # n_type: no stab bits (0xE0) and N_SECT (0x0E) in the type bits: defined in a section, local or external.
    defined = {s.name for s in vmlx.symbols if s.raw_type & 0xE0 == 0 and s.raw_type & 0x0E == 0x0E}
    static_cxx = sorted(defined & known[LIBCXX])
    report(not static_cxx, "libvmlx.dylib: defines none of libc++'s symbols (no static libc++)" +
           (f"; defines {static_cxx[:10]}" if static_cxx else ""))
    exports = {s.name for s in vmlx.exported_symbols}
    missing = [n for n in cfg["tsSymbols"] if f"_{n}" not in exports]
    report(not missing, f"libvmlx.dylib: exports all {len(cfg['tsSymbols'])} symbols src/mlx/ffi binds" +
           (f"; missing {missing}" if missing else ""))


def resolve_load(dep: str, at: str, rpaths: list[str], root: str) -> str | None:
    """The file inside `root` that dyld would load for `dep`, named by the Mach-O file at `at`, or None."""
    candidates = [dep]
    if dep.startswith("@rpath/"):
        candidates = [os.path.join(r, dep[len("@rpath/"):]) for r in rpaths]
    for c in candidates:
        if not c.startswith("@loader_path"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(at), c[len("@loader_path/"):]))
        if path.startswith(os.path.normpath(root) + os.sep) and os.path.isfile(path):
            return path
    return None


def check_sharp(cfg: dict) -> None:
    """sharp's addon and libvips: arm64 Mach-O, minos <= the binary's floor, every non-system load command resolved
    inside the unpacked layout (the addon's @rpath/libvips through its @loader_path-relative LC_RPATHs)."""
    sharp = cfg["sharp"]
    root = sharp["root"]
    minos = tuple(int(x) for x in cfg["minos"].split("."))
    kinds = {"addon": lief.MachO.Header.FILE_TYPE.BUNDLE, "libvips": lief.MachO.Header.FILE_TYPE.DYLIB}
    for key, kind in kinds.items():
        path = os.path.join(root, sharp[key])
        name = os.path.basename(path)
        b = parse(path)
        check_platform(name, b, minos, exact=False)
        report(b.header.file_type == kind, f"{name}: {kind.name}")
        rpaths = [r.path for r in b.rpaths]
        for dep in dependencies(b):
            if dep.startswith("/usr/lib/") or dep.startswith(FRAMEWORKS):
                continue
            found = resolve_load(dep, path, rpaths, root)
            report(found is not None, f"{name}: {dep} resolves inside the unpacked layout" +
                   (f" to {os.path.relpath(found, root)}" if found else f" (LC_RPATH {rpaths})"))
        if key == "addon":
            libvips = os.path.normpath(os.path.join(root, sharp["libvips"]))
            loads = [resolve_load(d, path, rpaths, root) for d in dependencies(b)]
            report(libvips in loads, f"{name}: loads {os.path.basename(libvips)}")
        else:
            report(dylib_id(b) == f"@rpath/{name}", f"{name}: install name {dylib_id(b)}")
        with open(path, "rb") as f:
            check_signature(path, b, f.read(), executable=False)


def check_binary(cfg: dict) -> None:
    path = cfg["binary"]
    name = os.path.basename(path)
    b = parse(path)
    minos = tuple(int(x) for x in cfg["minos"].split("."))
    check_platform(name, b, minos, exact=False)
    report(b.header.file_type == lief.MachO.Header.FILE_TYPE.EXECUTE, f"{name}: MH_EXECUTE")
    deps = dependencies(b)
    report(all(d.startswith("/usr/lib/") or d.startswith("/System/Library/") for d in deps),
           f"{name}: only system libraries {deps}")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        limit = check_signature(path, b, data, executable=True)
        bun = b.get_segment("__BUN")
        if bun is None:
            report(False, f"{name}: has the __BUN segment (the embedded payload)")
            return
        start, end = bun.file_offset, bun.file_offset + bun.file_size
        report(end <= limit, f"{name}: __BUN payload {start}..{end} inside the signed range (..{limit})")
        for file in cfg["embedded"]:
            content = open(file, "rb").read()
            at = data.find(content[:65536], start, end)
            same = at >= 0 and data[at:at + len(content)] == content
            report(same, f"{name}: carries {os.path.basename(file)} ({len(content)} bytes) byte for byte in __BUN")
        # The manifest unpacks sharp's pair under sharp/ in the checked layout; the loader's addon request stays a
        # runtime require (external), which src/media/sharp.ts redirects to the unpacked addon.
        sharp = cfg["sharp"]
        platform = os.path.basename(os.path.dirname(os.path.dirname(sharp["addon"]))).removeprefix("sharp-")
        for text in [f"sharp/{sharp['addon']}", f"sharp/{sharp['libvips']}", f"@img/sharp-{platform}/sharp.node"]:
            report(data.find(text.encode(), start, end) >= 0, f"{name}: its bundle names {text}")


def main() -> None:
    lief.logging.disable()
    cfg = json.load(open(sys.argv[1]))
    check_dylibs(cfg)
    check_sharp(cfg)
    if cfg.get("binary"):
        check_binary(cfg)
    print(f"check_macho: {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
