# The two commands a newcomer needs (see README.md):
#   make run    install what is missing, build Release, run the service with demo data
#   make test   install what is missing, build, and run every test (plus the sanitizer build)
#   make test-tsan  the whole suite under ThreadSanitizer (longer; not part of `make test`)
.PHONY: run test test-tsan deps build format check-format clean

deps:
	@scripts/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release

run: build
	scripts/run-demo.sh

test:
	@scripts/install-deps.sh --test
	scripts/test.sh

test-tsan:
	@scripts/install-deps.sh --test
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan/suppressions.txt" \
	  ctest --preset tsan -j $$(nproc)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

check-format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
