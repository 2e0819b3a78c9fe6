# The two commands a newcomer needs (see README.md):
#   make run    install what is missing, build Release, run the service with demo data
#   make test   install what is missing, build, and run every test (plus the sanitizer build)
.PHONY: run test deps build format check-format clean

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

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

check-format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
