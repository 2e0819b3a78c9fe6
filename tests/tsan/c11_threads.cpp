// ThreadSanitizer build only. librdkafka starts its threads with C11 thrd_create, which glibc 2.34+
// implements without going through pthread_create; the TSan runtimes of GCC 12 and clang 16 do not
// intercept it, so the first allocation on such a thread crashes (no TSan thread state). These
// definitions, exported from each executable (-rdynamic), take precedence over glibc's and route
// C11 threads through the intercepted pthread calls. thrd_t is pthread_t in glibc.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <new>

namespace {

struct start {
    thrd_start_t f;
    void* arg;
};

void* trampoline(void* p) {
    const start s = *static_cast<start*>(p);
    delete static_cast<start*>(p);
    return reinterpret_cast<void*>(static_cast<std::intptr_t>(s.f(s.arg)));
}

int c11_result(int rc) {
    if (rc == 0) return thrd_success;
    return rc == EAGAIN || rc == ENOMEM ? thrd_nomem : thrd_error;
}

}  // namespace

extern "C" int thrd_create(thrd_t* t, thrd_start_t f, void* arg) {
    auto* s = new (std::nothrow) start{f, arg};
    if (s == nullptr) return thrd_nomem;
    const int rc = pthread_create(t, nullptr, trampoline, s);
    if (rc != 0) delete s;
    return c11_result(rc);
}

extern "C" int thrd_join(thrd_t t, int* result) {
    void* r = nullptr;
    const int rc = pthread_join(t, &r);
    if (rc == 0 && result != nullptr)
        *result = static_cast<int>(reinterpret_cast<std::intptr_t>(r));
    return c11_result(rc);
}

extern "C" int thrd_detach(thrd_t t) {
    return c11_result(pthread_detach(t));
}
