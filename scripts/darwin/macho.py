"""LIEF helpers shared by libcxx_stub.py and check_macho.py."""
import lief


def parse_thin(path: str) -> lief.MachO.Binary:
    """The one slice of a thin Mach-O file; exits with a message for anything else."""
    fat = lief.MachO.parse(path)
    if fat is None or fat.size != 1:
        raise SystemExit(f"{path}: not a thin Mach-O file")
    return fat.at(0)


def dylib_id(b: lief.MachO.Binary) -> str | None:
    ids = [lib.name for lib in b.libraries if lib.command == lief.MachO.LoadCommand.TYPE.ID_DYLIB]
    return ids[0] if ids else None


def dependencies(b: lief.MachO.Binary) -> list[str]:
    """The dylibs it loads, in load-command order (the order two-level library ordinals count in, from 1)."""
    return [lib.name for lib in b.libraries if lib.command != lief.MachO.LoadCommand.TYPE.ID_DYLIB]


def bound_library(b: lief.MachO.Binary, symbol: lief.MachO.Symbol) -> str | None:
    """The dylib an imported symbol is bound to, or None for a flat, weak or self lookup. LIEF leaves `library`
    unset for some weakly bound imports (operator new, typeinfo), so the library ordinal decides there."""
    if symbol.library is not None:
        return symbol.library.name
    deps = dependencies(b)
    return deps[symbol.library_ordinal - 1] if 1 <= symbol.library_ordinal <= len(deps) else None


def imports(b: lief.MachO.Binary) -> list[tuple[str, str | None]]:
    """(name, bound library) of every imported symbol."""
    return [(s.name, bound_library(b, s)) for s in b.imported_symbols]
