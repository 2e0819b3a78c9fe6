#pragma once
// A SQLite VFS for tests that fails writes on command: it wraps the default VFS, and once armed,
// every xWrite/xSync/xTruncate after the next `after` successful writes returns `code`
// (SQLITE_FULL for a full disk, SQLITE_IOERR_WRITE for a failing one). Installed as the default
// VFS, so the code under test opens its databases exactly as in production.
namespace bb::test::faulty_vfs {

void install();  // idempotent
void fail_writes(int code, int after = 0);
void heal();     // writes succeed again
int failures();  // how many calls were failed since the last fail_writes

}  // namespace bb::test::faulty_vfs
