#include "infra/kafka/partition_store.hpp"

#include <stdexcept>

namespace bb::kafka {

namespace {

// Bumped when the layout changes; a store of another format is rebuilt from the topic.
constexpr const char* store_format = "1";

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT NOT NULL,
  version     INTEGER NOT NULL,
  body        TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream, version);
CREATE TABLE IF NOT EXISTS requests (
  key     TEXT PRIMARY KEY,
  digest  TEXT NOT NULL,
  first   INTEGER NOT NULL,
  last    INTEGER NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summaries (
  stream   TEXT PRIMARY KEY,
  customer TEXT NOT NULL,
  status   TEXT NOT NULL,
  next_due INTEGER
) WITHOUT ROWID;
)sql";

std::string sqlite_error(sqlite3* db, const std::string& what) {
    return what + ": " + sqlite3_errmsg(db);
}

std::optional<std::string> meta(sqlite3* db, const char* key) {
    auto s = sqlite::prepare(db, "SELECT value FROM store_meta WHERE key = ?");
    sqlite::statement st(s.get());
    st.bind(1, std::string_view(key));
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return st.text(0);
}

void set_meta(sqlite3* db, const char* key, const std::string& value) {
    auto s = sqlite::prepare(db, "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)");
    sqlite::statement st(s.get());
    st.bind(1, std::string_view(key)).bind(2, value);
    if (st.step() != SQLITE_DONE) throw std::runtime_error(sqlite_error(db, "store_meta"));
}

}  // namespace

partition_store::~partition_store() {
    if (in_txn_) rollback();
    (void)flush();  // a failure leaves the store behind the topic, which the next start reads
}

std::expected<std::unique_ptr<partition_store>, std::string> partition_store::open(
    const std::string& path, const std::string& topic, std::int32_t partition) {
    std::unique_ptr<partition_store> store(new partition_store);
    try {
        // synchronous=NORMAL: a commit lost to a power cut leaves the store behind the topic,
        // which the next start reads again; WAL keeps the file consistent either way.
        // A file that is not a database fails here or at the schema; damage inside one fails
        // the reads (and the owner rebuilds). No integrity check at open: it reads the whole
        // file, which is the restart cost the store exists to avoid.
        store->db_ = sqlite::open(path, false, sqlite::threading::caller);
        // Only its owner uses the file: holding SQLite's locks for the connection's life saves
        // a lock and unlock (fcntl) around every statement, a tenth of the owner's CPU, and
        // keeps a second process (two instances on one data directory) out.
        sqlite::exec(store->db_.get(), "PRAGMA locking_mode=EXCLUSIVE");
        // A flush holds about a second of appends: their dirty pages stay in the page cache
        // until it (SQLite's default 2 MB spills them into the WAL early, once per spill), and
        // the WAL is checkpointed every ~32 MB rather than 4 MB, each checkpoint writing a hot
        // index page once. Bounded per store, not per event of history (docs/kafka.md).
        sqlite::exec(store->db_.get(), "PRAGMA cache_size=-8192");
        sqlite::exec(store->db_.get(), "PRAGMA wal_autocheckpoint=8000");
        sqlite::exec(store->db_.get(), schema);
        auto* db = store->db_.get();
        const auto whose = topic + "/" + std::to_string(partition);
        if (const auto f = meta(db, "format"); f && *f != store_format)
            return std::unexpected(path + " has store format " + *f + ", not " + store_format);
        if (const auto p = meta(db, "partition"); p && *p != whose)
            return std::unexpected(path + " holds " + *p + ", not " + whose);
        set_meta(db, "format", store_format);
        set_meta(db, "partition", whose);
        if (const auto o = meta(db, "next_offset")) store->next_offset_ = std::stoll(*o);
        if (auto r = store->prepare_all(); !r) return std::unexpected(r.error());
        sqlite::statement last(store->last_.get());
        if (last.step() == SQLITE_ROW) {
            store->head_ = last.int64(0);
            auto rec = store->reader_.read(last.view(1));
            if (!rec)
                return std::unexpected(path + ": the last event cannot be read: " + rec.error());
            store->last_hash_ = rec->hash;
        }
    } catch (const std::exception& e) {
        return std::unexpected(e.what());
    }
    return store;
}

std::expected<void, std::string> partition_store::prepare_all() {
    auto* db = db_.get();
    begin_ = sqlite::prepare(db, "BEGIN IMMEDIATE");
    commit_ = sqlite::prepare(db, "COMMIT");
    rollback_ = sqlite::prepare(db, "ROLLBACK");
    savepoint_ = sqlite::prepare(db, "SAVEPOINT kafka_transaction");
    release_ = sqlite::prepare(db, "RELEASE kafka_transaction");
    rollback_to_ = sqlite::prepare(db, "ROLLBACK TO kafka_transaction");
    set_offset_ = sqlite::prepare(
        db, "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('next_offset', ?)");
    insert_event_ = sqlite::prepare(
        db, "INSERT INTO events (position, stream, version, body) VALUES (?,?,?,?)");
    upsert_request_ = sqlite::prepare(
        db,
        "INSERT INTO requests (key, digest, first, last, version) VALUES (?1,?2,?3,?3,?4) "
        "ON CONFLICT (key) DO UPDATE SET last = excluded.last, version = excluded.version");
    find_request_ =
        sqlite::prepare(db, "SELECT digest, first, last, version FROM requests WHERE key = ?");
    stream_size_ = sqlite::prepare(db, "SELECT max(version) FROM events WHERE stream = ?");
    read_stream_ = sqlite::prepare(
        db, "SELECT body FROM events WHERE stream = ? AND version >= ? ORDER BY version");
    read_from_ = sqlite::prepare(
        db, "SELECT body FROM events WHERE position >= ? ORDER BY position LIMIT ?");
    upsert_summary_ = sqlite::prepare(
        db,
        "INSERT INTO summaries (stream, customer, status, next_due) VALUES (?,?,?,?) "
        "ON CONFLICT (stream) DO UPDATE SET customer = excluded.customer, status = "
        "excluded.status, next_due = excluded.next_due");
    // As the embedded log's summary index: settled complaints' rows are not read (no deadline,
    // no customer signal changes them); the counts cover every row.
    summaries_ = sqlite::prepare(db,
                                 "SELECT stream, customer, next_due FROM summaries WHERE status "
                                 "NOT IN ('recovered', 'lost', 'withdrawn')");
    counts_ = sqlite::prepare(db, "SELECT status, count(*) FROM summaries GROUP BY status");
    last_ = sqlite::prepare(db, "SELECT position, body FROM events ORDER BY position DESC LIMIT 1");
    return {};
}

std::expected<void, std::string> partition_store::begin() {
    if (in_txn_) return {};
    if (!outer_) {
        if (!sqlite::run(begin_.get())) return std::unexpected(sqlite_error(db_.get(), "begin"));
        outer_ = true;
    }
    if (!sqlite::run(savepoint_.get()))
        return std::unexpected(sqlite_error(db_.get(), "savepoint"));
    in_txn_ = true;
    txn_head_ = head_;
    txn_hash_ = last_hash_;
    return {};
}

std::expected<void, std::string> partition_store::commit(std::int64_t next_offset) {
    if (auto b = begin(); !b) return b;
    {
        sqlite::statement st(set_offset_.get());
        st.bind(1, std::to_string(next_offset));
        if (st.step() != SQLITE_DONE) {
            rollback();
            return std::unexpected(sqlite_error(db_.get(), "next_offset"));
        }
    }
    if (!sqlite::run(release_.get())) {
        const auto e = sqlite_error(db_.get(), "release");
        rollback();
        return std::unexpected(e);
    }
    in_txn_ = false;
    next_offset_ = next_offset;
    return {};
}

void partition_store::rollback() {
    if (!in_txn_) return;
    // ROLLBACK TO keeps the savepoint open; RELEASE closes it, now empty.
    if (!sqlite::run(rollback_to_.get()) || !sqlite::run(release_.get())) {
        // SQLite gave up the whole transaction (it does after I/O errors): every unflushed
        // commit is gone with it, and the store is what was last flushed.
        sqlite::run(rollback_.get());
        outer_ = false;
        in_txn_ = false;
        reload_committed();
        return;
    }
    in_txn_ = false;
    head_ = txn_head_;
    last_hash_ = txn_hash_;
}

std::expected<void, std::string> partition_store::flush() {
    if (in_txn_) return std::unexpected("flush with a transaction open");
    if (!outer_) return {};
    if (!sqlite::run(commit_.get())) {
        const auto e = sqlite_error(db_.get(), "commit");
        sqlite::run(rollback_.get());
        outer_ = false;
        reload_committed();
        return std::unexpected(e);
    }
    outer_ = false;
    return {};
}

// After SQLite dropped a transaction: head, hash and offset as the file has them.
void partition_store::reload_committed() {
    head_ = 0;
    last_hash_.clear();
    next_offset_ = 0;
    if (const auto o = meta(db_.get(), "next_offset")) next_offset_ = std::stoll(*o);
    sqlite::statement last(last_.get());
    if (last.step() == SQLITE_ROW) {
        head_ = last.int64(0);
        if (auto rec = reader_.read(last.view(1))) last_hash_ = rec->hash;
    }
}

std::expected<void, std::string> partition_store::add(const event_record& r,
                                                      const std::string& request_key,
                                                      const std::string& digest,
                                                      std::string_view body) {
    if (r.position != head_ + 1)
        return std::unexpected("position " + std::to_string(r.position) + " after " +
                               std::to_string(head_));
    std::string made;
    if (body.empty()) body = made = codec::cloudevent_text(r);
    {
        sqlite::statement st(insert_event_.get());
        st.bind(1, r.position).bind(2, r.stream).bind(3, r.version).bind_unowned(4, body);
        if (st.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db_.get(), "event"));
    }
    if (!request_key.empty()) {
        sqlite::statement st(upsert_request_.get());
        st.bind(1, request_key).bind(2, digest).bind(3, r.position).bind(4, r.version);
        if (st.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db_.get(), "request"));
    }
    head_ = r.position;
    last_hash_ = r.hash;
    return {};
}

std::expected<void, std::string> partition_store::set_summary(const std::string& stream,
                                                              const stream_summary& s) {
    sqlite::statement st(upsert_summary_.get());
    st.bind(1, stream).bind(2, s.partition_key).bind(3, s.status);
    if (s.next_due) st.bind(4, static_cast<std::int64_t>(s.next_due->time_since_epoch().count()));
    if (st.step() != SQLITE_DONE) return std::unexpected(sqlite_error(db_.get(), "summary"));
    return {};
}

std::int64_t partition_store::stream_size(const std::string& stream) {
    sqlite::statement st(stream_size_.get());
    st.bind(1, stream);
    return st.step() == SQLITE_ROW ? st.int64(0) : 0;
}

std::expected<std::vector<event_record>, std::string> partition_store::decode_rows(
    sqlite3_stmt* s) {
    sqlite::statement st(s);
    std::vector<event_record> out;
    for (int rc; (rc = st.step()) != SQLITE_DONE;) {
        if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db_.get(), "read"));
        auto r = reader_.read(st.view(0));
        if (!r) return std::unexpected(r.error());
        out.push_back(std::move(*r));
    }
    return out;
}

std::expected<std::vector<event_record>, std::string> partition_store::read_stream(
    const std::string& stream, std::int64_t from_version) {
    sqlite3_bind_text(read_stream_.get(), 1, stream.data(), static_cast<int>(stream.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(read_stream_.get(), 2, from_version);
    return decode_rows(read_stream_.get());
}

std::expected<std::vector<event_record>, std::string> partition_store::read_from(
    std::int64_t position, std::size_t max) {
    sqlite3_bind_int64(read_from_.get(), 1, position);
    sqlite3_bind_int64(read_from_.get(), 2, static_cast<std::int64_t>(max));
    return decode_rows(read_from_.get());
}

std::optional<partition_store::request_entry> partition_store::find_request(
    const std::string& key) {
    sqlite::statement st(find_request_.get());
    st.bind(1, key);
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return request_entry{st.text(0), st.int64(1), st.int64(2), st.int64(3)};
}

std::expected<summary_snapshot, std::string> partition_store::summaries() {
    summary_snapshot out;
    {
        sqlite::statement st(counts_.get());
        for (int rc; (rc = st.step()) != SQLITE_DONE;) {
            if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db_.get(), "counts"));
            out.by_status[st.text(0)] = st.int64(1);
        }
    }
    sqlite::statement st(summaries_.get());
    for (int rc; (rc = st.step()) != SQLITE_DONE;) {
        if (rc != SQLITE_ROW) return std::unexpected(sqlite_error(db_.get(), "summaries"));
        summary_row row{st.text(0), st.text(1), std::nullopt};
        if (!st.is_null(2)) row.next_due = instant{std::chrono::seconds{st.int64(2)}};
        out.rows.push_back(std::move(row));
    }
    return out;
}

}  // namespace bb::kafka
