#!/usr/bin/env python3
"""Fails when an #include points up the layers, or across infra subsystems that do not link.

The layers, lowest first: domain <- projections <- infra <- handlers, services <- app. A file may
include its own folder and the folders below it. Inside infra each subsystem may include only
what its CMake target links (infra/CMakeLists.txt); domain/ and projections/ include no I/O
library at all. Usage: layers_test.py REPO_ROOT
"""
import pathlib
import re
import sys

LAYERS = {
    "domain": {"domain"},
    "projections": {"domain", "projections"},
    "infra": {"domain", "projections", "infra"},
    "handlers": {"domain", "projections", "infra", "handlers", "services"},
    "services": {"domain", "projections", "infra", "handlers", "services"},
    "app": {"domain", "projections", "infra", "handlers", "services", "app"},
}

# infra's subsystems and what each may include of infra (its own folder always). "core" is the
# files directly in infra/.
INFRA = {
    "core": {"core"},
    "codec": {"core"},
    "snapshot": {"core", "codec"},
    "sqlite": {"core"},
    "http": {"core"},  # the W3C trace context of each request
    "kafka": {"core", "codec", "sqlite"},
    "outbound": {"core", "sqlite"},
    "config": {"core"},
}

# Libraries that are I/O: never in the pure layers.
IO_HEADERS = re.compile(r"^(boost/asio|boost/beast|librdkafka|rdkafka|sqlite3|openssl|nlohmann|"
                        r"simdjson|yaml-cpp|zlib|fstream|thread|mutex|random|filesystem)")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)


def infra_part(rel: pathlib.PurePosixPath) -> str:
    return rel.parts[1] if len(rel.parts) > 2 else "core"


def problems(root: pathlib.Path):
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".in"):
                continue
            rel = pathlib.PurePosixPath(path.relative_to(root).as_posix())
            for kind, target in INCLUDE.findall(path.read_text(encoding="utf-8")):
                if kind == "<":
                    if layer in ("domain", "projections") and IO_HEADERS.match(target):
                        yield f"{rel}: <{target}> is I/O; {layer}/ is pure"
                    continue
                top = target.split("/")[0]
                if top not in LAYERS:
                    continue  # generated files and tests' own headers
                if top not in LAYERS[layer]:
                    yield f'{rel}: "{target}" points up from {layer}/ to {top}/'
                elif layer == "infra" and top == "infra":
                    mine, theirs = infra_part(rel), infra_part(pathlib.PurePosixPath(target))
                    if theirs != mine and theirs not in INFRA[mine]:
                        yield (f'{rel}: "{target}": infra/{mine} does not link infra/{theirs} '
                               "(infra/CMakeLists.txt)")


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    found = list(problems(root))
    for p in found:
        print(p)
    checked = sum(1 for layer in LAYERS for p in (root / layer).rglob("*")
                  if p.suffix in (".cpp", ".hpp", ".in"))
    if checked < 100:
        print(f"only {checked} files found under {root}: wrong root?")
        return 1
    print(f"{checked} files checked, {len(found)} includes point the wrong way")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
