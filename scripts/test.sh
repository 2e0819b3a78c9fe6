#!/usr/bin/env bash
# The README's test command: every test, in a Debug build and in an ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== format check"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

# The debug preset builds at -O2 (with debug info), so warnings that need the optimiser fail here
# as they would in the Release build `make run` ships, without a third build.
for preset in debug asan; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  if [ "$preset" = debug ]; then build/debug/app/bounceback demo >/dev/null; fi
  echo "== test ($preset)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "$preset" -j "$jobs"
done
