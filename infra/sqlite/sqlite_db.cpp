#include "infra/sqlite/sqlite_db.hpp"

#include <stdexcept>

namespace bb::sqlite {

bool configure_process() {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

db_ptr open(const std::string& path, bool synchronous_full, threading t) {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            (t == threading::sqlite ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX),
                        nullptr);
    db_ptr db{raw};
    if (rc != SQLITE_OK)
        throw std::runtime_error("cannot open " + path + ": " + sqlite3_errstr(rc));
    sqlite3_busy_timeout(db.get(), 10000);
    exec(db.get(), "PRAGMA journal_mode=WAL");
    exec(db.get(), synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec(db.get(), "PRAGMA foreign_keys=ON");
    return db;
}

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error(std::string("sqlite: ") + msg + " in: " + sql);
    }
}

stmt_ptr prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) +
                                 " in: " + sql);
    return stmt_ptr{s};
}

bool run(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

}  // namespace bb::sqlite
