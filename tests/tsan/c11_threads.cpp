// ThreadSanitizer build only. librdkafka uses C11 threads, mutexes and condition variables, which
// glibc 2.34+ implements without going through the pthread_* symbols; the TSan runtimes of GCC 12
// and clang 16 intercept only those. Unintercepted, thrd_create crashes at the first allocation
// on the new thread (no TSan thread state), and mtx_lock/cnd_wait hide every happens-before edge
// librdkafka creates (a message filled by its broker thread and read by ours looks like a race).
// These definitions, exported from each executable (-rdynamic), take precedence over glibc's and
// route the C11 calls through the intercepted pthread ones. In glibc thrd_t is pthread_t, and
// mtx_t/cnd_t have the size and layout of pthread_mutex_t/pthread_cond_t (glibc casts the same).
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
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
    if (rc == ETIMEDOUT) return thrd_timedout;
    if (rc == EBUSY) return thrd_busy;
    return rc == EAGAIN || rc == ENOMEM ? thrd_nomem : thrd_error;
}

pthread_mutex_t* as_pthread(mtx_t* m) {
    return reinterpret_cast<pthread_mutex_t*>(m);
}
pthread_cond_t* as_pthread(cnd_t* c) {
    return reinterpret_cast<pthread_cond_t*>(c);
}

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));

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

extern "C" int mtx_init(mtx_t* m, int type) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    const int rc = pthread_mutex_init(as_pthread(m), &attr);
    pthread_mutexattr_destroy(&attr);
    return c11_result(rc);
}
extern "C" int mtx_lock(mtx_t* m) {
    return c11_result(pthread_mutex_lock(as_pthread(m)));
}
extern "C" int mtx_trylock(mtx_t* m) {
    return c11_result(pthread_mutex_trylock(as_pthread(m)));
}
extern "C" int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict ts) {
    return c11_result(pthread_mutex_timedlock(as_pthread(m), ts));
}
extern "C" int mtx_unlock(mtx_t* m) {
    return c11_result(pthread_mutex_unlock(as_pthread(m)));
}
extern "C" void mtx_destroy(mtx_t* m) {
    pthread_mutex_destroy(as_pthread(m));
}

extern "C" int cnd_init(cnd_t* c) {
    return c11_result(pthread_cond_init(as_pthread(c), nullptr));
}
extern "C" int cnd_signal(cnd_t* c) {
    return c11_result(pthread_cond_signal(as_pthread(c)));
}
extern "C" int cnd_broadcast(cnd_t* c) {
    return c11_result(pthread_cond_broadcast(as_pthread(c)));
}
extern "C" int cnd_wait(cnd_t* c, mtx_t* m) {
    return c11_result(pthread_cond_wait(as_pthread(c), as_pthread(m)));
}
extern "C" int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m,
                             const struct timespec* __restrict ts) {
    return c11_result(pthread_cond_timedwait(as_pthread(c), as_pthread(m), ts));
}
extern "C" void cnd_destroy(cnd_t* c) {
    pthread_cond_destroy(as_pthread(c));
}

static_assert(sizeof(once_flag) == sizeof(pthread_once_t));
extern "C" void call_once(once_flag* flag, void (*f)()) {
    pthread_once(reinterpret_cast<pthread_once_t*>(flag), f);
}
