#include "tests/infra/faulty_vfs.hpp"

#include <atomic>
#include <cstring>
#include <mutex>

#include <sqlite3.h>

namespace bb::test::faulty_vfs {

namespace {

std::atomic<int> fail_code{0};
std::atomic<int> writes_left{0};
std::atomic<int> failed{0};
sqlite3_vfs* base = nullptr;
sqlite3_vfs vfs{};
sqlite3_io_methods methods{};

// Our file header; the wrapped VFS's file follows it in the same allocation.
struct file {
    sqlite3_file header;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
file* as_file(sqlite3_file* f) {
    return reinterpret_cast<file*>(f);
}

int fault() {
    const int code = fail_code.load();
    if (code == 0) return SQLITE_OK;
    if (writes_left.fetch_sub(1) > 0) return SQLITE_OK;
    ++failed;
    return code;
}

int x_close(sqlite3_file* f) {
    return as_file(f)->real()->pMethods->xClose(as_file(f)->real());
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
    return as_file(f)->real()->pMethods->xRead(as_file(f)->real(), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
    if (const int rc = fault()) return rc;
    return as_file(f)->real()->pMethods->xWrite(as_file(f)->real(), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (const int rc = fault()) return rc;
    return as_file(f)->real()->pMethods->xTruncate(as_file(f)->real(), size);
}
int x_sync(sqlite3_file* f, int flags) {
    if (const int rc = fault()) return rc == SQLITE_FULL ? SQLITE_IOERR_FSYNC : rc;
    return as_file(f)->real()->pMethods->xSync(as_file(f)->real(), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return as_file(f)->real()->pMethods->xFileSize(as_file(f)->real(), size);
}
int x_lock(sqlite3_file* f, int level) {
    return as_file(f)->real()->pMethods->xLock(as_file(f)->real(), level);
}
int x_unlock(sqlite3_file* f, int level) {
    return as_file(f)->real()->pMethods->xUnlock(as_file(f)->real(), level);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
    return as_file(f)->real()->pMethods->xCheckReservedLock(as_file(f)->real(), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    return as_file(f)->real()->pMethods->xFileControl(as_file(f)->real(), op, arg);
}
int x_sector_size(sqlite3_file* f) {
    return as_file(f)->real()->pMethods->xSectorSize(as_file(f)->real());
}
int x_device_characteristics(sqlite3_file* f) {
    return as_file(f)->real()->pMethods->xDeviceCharacteristics(as_file(f)->real());
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return as_file(f)->real()->pMethods->xShmMap(as_file(f)->real(), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return as_file(f)->real()->pMethods->xShmLock(as_file(f)->real(), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    as_file(f)->real()->pMethods->xShmBarrier(as_file(f)->real());
}
int x_shm_unmap(sqlite3_file* f, int del) {
    return as_file(f)->real()->pMethods->xShmUnmap(as_file(f)->real(), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
    return as_file(f)->real()->pMethods->xFetch(as_file(f)->real(), off, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return as_file(f)->real()->pMethods->xUnfetch(as_file(f)->real(), off, p);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* ours = as_file(f);
    const int rc = base->xOpen(base, name, ours->real(), flags, out_flags);
    // SQLite calls xClose only when pMethods is set: leave it null when the real open failed.
    ours->header.pMethods = ours->real()->pMethods ? &methods : nullptr;
    return rc;
}

}  // namespace

void install() {
    static std::once_flag once;
    std::call_once(once, [] {
        base = sqlite3_vfs_find(nullptr);
        vfs = *base;
        vfs.zName = "bounceback-faulty";
        vfs.szOsFile = static_cast<int>(sizeof(file)) + base->szOsFile;
        vfs.xOpen = x_open;
        methods = sqlite3_io_methods{3,
                                     x_close,
                                     x_read,
                                     x_write,
                                     x_truncate,
                                     x_sync,
                                     x_file_size,
                                     x_lock,
                                     x_unlock,
                                     x_check_reserved_lock,
                                     x_file_control,
                                     x_sector_size,
                                     x_device_characteristics,
                                     x_shm_map,
                                     x_shm_lock,
                                     x_shm_barrier,
                                     x_shm_unmap,
                                     x_fetch,
                                     x_unfetch};
        sqlite3_vfs_register(&vfs, 1);
    });
}

void fail_writes(int code, int after) {
    failed = 0;
    writes_left = after;
    fail_code = code;
}

void heal() {
    fail_code = 0;
}

int failures() {
    return failed.load();
}

}  // namespace bb::test::faulty_vfs
