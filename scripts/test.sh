#!/usr/bin/env bash
# The README's test command: every test, in a Debug build and in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

# Release is what `make run` ships: build it too, so warnings that only -O3 shows fail here.
echo "== build (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
build/release/app/bounceback demo >/dev/null

for preset in debug asan; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test ($preset)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "$preset" -j "$jobs"
done
