#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace bb::sqlite {

struct db_closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

// Who serialises calls on a connection: SQLite's own mutex on every API call, or the caller, who
// holds a lock of its own around each use (the per-call mutex is then pure cost).
enum class threading { sqlite, caller };

// Process-wide settings, for the binary's main() before any database is opened: SQLite keeps
// no memory statistics, which otherwise take a global mutex on every allocation and free.
// False when SQLite was already in use.
bool configure_process();

// Opens (creating if needed) a database in WAL mode. Throws std::runtime_error on failure:
// only called at start-up, where a failure ends the program with a message.
db_ptr open(const std::string& path, bool synchronous_full, threading t = threading::sqlite);
void exec(sqlite3* db, const char* sql);  // throws on failure
stmt_ptr prepare(sqlite3* db, const char* sql);
// Runs a prepared statement that returns no rows (BEGIN, COMMIT, SAVEPOINT...) and resets it:
// the SQL of a transaction's control statements is then parsed once, not at every use. True on
// success.
bool run(sqlite3_stmt* s);

// A prepared statement in use: binds by position (1-based) and resets on destruction.
class statement {
  public:
    explicit statement(sqlite3_stmt* s) : s_(s) {}
    ~statement() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    // The same without SQLite's own copy of the text: `v` must stay unchanged until the step
    // that reads it (a filing's data is ~1 KB, copied for nothing otherwise).
    statement& bind_unowned(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    int step() { return sqlite3_step(s_); }
    std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
    std::string text(int col) const { return std::string(view(col)); }
    // Valid until the next step() or the statement's reset.
    std::string_view view(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
                 : std::string_view{};
    }
    bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

  private:
    sqlite3_stmt* s_;
};

}  // namespace bb::sqlite
