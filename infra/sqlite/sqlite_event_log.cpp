#include "infra/sqlite/sqlite_event_log.hpp"

#include <algorithm>
#include <future>

#include "domain/overloaded.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"

namespace bb {

namespace {

// A request's key and digest are kept on its last event row (with its first position): the rows
// are appended at the end of the table, while a table of requests keyed by request needed an
// insert at a random place of its index per request, and those pages were most of each group
// commit's WAL frames. Logs written before that keep their `append_requests` table, which is
// still consulted (see `find_request`).
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  position        INTEGER PRIMARY KEY,
  stream          TEXT NOT NULL,
  version         INTEGER NOT NULL,
  partition_key   TEXT NOT NULL,
  type            TEXT NOT NULL,
  data            TEXT NOT NULL,
  time            TEXT NOT NULL,
  recorded_at     TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  causation_id    TEXT NOT NULL,
  correlation_id  TEXT NOT NULL,
  prev_hash       TEXT NOT NULL,
  hash            TEXT NOT NULL,
  request_key     TEXT,
  request_digest  TEXT,
  request_first   INTEGER,
  traceparent     TEXT,
  tracestate      TEXT,
  UNIQUE (stream, version)
);
)sql";

// The summary index (see summary_index): one row per summarised stream, counts by status, and
// in log_meta whether the index covers every event ('summaries' = 1). Instants are Unix seconds.
// The table has no secondary index: each would be one more random page written per append (WAL
// frames per group commit are what ingest pays for); a restart scans the rows, ~50 bytes each.
constexpr const char* summary_schema = R"sql(
CREATE TABLE IF NOT EXISTS stream_summaries (
  stream        TEXT PRIMARY KEY,
  partition_key TEXT NOT NULL,
  status        TEXT NOT NULL,
  next_due      INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summary_counts (
  status TEXT PRIMARY KEY,
  n      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

bool has_column(sqlite3* db, const char* table, std::string_view column) {
    auto info = sqlite::prepare(db, (std::string("PRAGMA table_info(") + table + ")").c_str());
    sqlite::statement st{info.get()};
    while (st.step() == SQLITE_ROW)
        if (st.view(1) == column) return true;
    return false;
}

bool has_table(sqlite3* db, const char* table) {
    auto q = sqlite::prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
    sqlite::statement st{q.get()};
    st.bind(1, table);
    return st.step() == SQLITE_ROW;
}

constexpr const char* columns =
    "position, stream, version, partition_key, type, data, time, recorded_at, idempotency_key, "
    "causation_id, correlation_id, prev_hash, hash, traceparent, tracestate";

class sqlite_subscription final : public subscription {
  public:
    sqlite_subscription(sqlite_event_log& log, std::int64_t from,
                        std::function<void(const event_record&)> handler)
        : log_(log),
          next_(from < 1 ? 1 : from),
          handler_(std::move(handler)),
          thread_([this] { run(); }) {}
    ~sqlite_subscription() override {
        stop_ = true;
        thread_.join();
    }

  private:
    void run() {
        while (!stop_) {
            const auto batch = log_.read_all(next_, 512);
            if (!batch || batch->empty()) {
                log_.wait_for(next_, std::chrono::milliseconds(100));
                continue;
            }
            for (const auto& e : *batch) {
                if (stop_) return;
                handler_(e);
                next_ = e.position + 1;
            }
        }
    }

    sqlite_event_log& log_;
    std::int64_t next_;
    std::function<void(const event_record&)> handler_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

sqlite_event_log::sqlite_event_log(options opts) : opts_(std::move(opts)) {
    // Used by one committer at a time (`committing_`), so SQLite's own mutex is not needed.
    write_db_ = sqlite::open(opts_.path, opts_.synchronous_full, sqlite::threading::caller);
    // The writer checkpoints every 8,000 WAL pages (~32 MB) instead of SQLite's 1,000: each append
    // dirties a random leaf of the stream index, and a page written to the database once per
    // checkpoint is written less often the rarer checkpoints are. Recovery after a crash reads
    // at most that much WAL.
    sqlite::exec(write_db_.get(), "PRAGMA wal_autocheckpoint=8000");
    sqlite::exec(write_db_.get(), schema);
    // One transaction: a crash between the columns must not leave a log that cannot open.
    if (!has_column(write_db_.get(), "events", "request_key"))
        sqlite::exec(write_db_.get(),
                     "BEGIN IMMEDIATE;"
                     "ALTER TABLE events ADD COLUMN request_key TEXT;"
                     "ALTER TABLE events ADD COLUMN request_digest TEXT;"
                     "ALTER TABLE events ADD COLUMN request_first INTEGER;"
                     "COMMIT;");
    // Logs written before traces were kept: their events have none (NULL reads as empty).
    if (!has_column(write_db_.get(), "events", "traceparent"))
        sqlite::exec(write_db_.get(),
                     "BEGIN IMMEDIATE;"
                     "ALTER TABLE events ADD COLUMN traceparent TEXT;"
                     "ALTER TABLE events ADD COLUMN tracestate TEXT;"
                     "COMMIT;");
    {
        // A log written before the index existed (or whose index tables were dropped) holds
        // events the index has not seen.
        const bool had_index = has_table(write_db_.get(), "log_meta") &&
                               has_table(write_db_.get(), "stream_summaries") &&
                               has_table(write_db_.get(), "summary_counts");
        sqlite::exec(write_db_.get(), "BEGIN IMMEDIATE");
        sqlite::exec(write_db_.get(), summary_schema);
        if (!had_index)
            sqlite::exec(write_db_.get(),
                         "INSERT INTO log_meta (key, value) VALUES ('summaries', "
                         "NOT EXISTS (SELECT 1 FROM events)) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        sqlite::exec(write_db_.get(), "COMMIT");
    }
    // Every use of the read connection holds read_mutex_.
    read_db_ = sqlite::open(opts_.path, opts_.synchronous_full, sqlite::threading::caller);
    insert_event_ = sqlite::prepare(write_db_.get(),
                                    "INSERT INTO events (position, stream, version, partition_key, "
                                    "type, data, time, recorded_at, idempotency_key, causation_id, "
                                    "correlation_id, prev_hash, hash, request_key, "
                                    "request_digest, request_first, traceparent, tracestate) "
                                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    // Through the (stream, version) index: a stream holds a handful of rows.
    select_request_ =
        sqlite::prepare(write_db_.get(),
                        "SELECT request_digest, request_first, position, version FROM events "
                        "WHERE stream = ? AND request_key = ?");
    if (has_table(write_db_.get(), "append_requests"))
        select_legacy_request_ = sqlite::prepare(
            write_db_.get(),
            "SELECT digest, first_position, last_position, stream_version FROM append_requests "
            "WHERE request_key = ?");
    upsert_summary_ = sqlite::prepare(
        write_db_.get(),
        "INSERT INTO stream_summaries (stream, partition_key, status, next_due) VALUES (?,?,?,?) "
        "ON CONFLICT (stream) DO UPDATE SET status = excluded.status, "
        "next_due = excluded.next_due");
    add_count_ = sqlite::prepare(write_db_.get(),
                                 "INSERT INTO summary_counts (status, n) VALUES (?, ?) "
                                 "ON CONFLICT (status) DO UPDATE SET n = n + excluded.n");
    set_meta_ = sqlite::prepare(write_db_.get(),
                                "INSERT INTO log_meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    counts_ = sqlite::prepare(read_db_.get(), "SELECT status, n FROM summary_counts WHERE n != 0");
    // Settled complaints (recovered, lost, withdrawn; most of history) have no deadline and no
    // customer signal changes them: a restart reads the others' rows only (the counts cover
    // all). The scan still passes every row, but builds nothing for the settled ones.
    summary_rows_ = sqlite::prepare(read_db_.get(),
                                    "SELECT stream, partition_key, next_due FROM stream_summaries "
                                    "WHERE status NOT IN ('recovered', 'lost', 'withdrawn')");
    meta_ = sqlite::prepare(read_db_.get(), "SELECT value FROM log_meta WHERE key = ?");
    {
        sqlite::statement st{meta_.get()};
        st.bind(1, std::string("summaries"));
        summaries_complete_ = st.step() == SQLITE_ROW && st.int64(0) == 1;
    }
    begin_ = sqlite::prepare(write_db_.get(), "BEGIN IMMEDIATE");
    commit_ = sqlite::prepare(write_db_.get(), "COMMIT");
    rollback_ = sqlite::prepare(write_db_.get(), "ROLLBACK");
    savepoint_ = sqlite::prepare(write_db_.get(), "SAVEPOINT req");
    release_ = sqlite::prepare(write_db_.get(), "RELEASE req");
    rollback_to_ = sqlite::prepare(write_db_.get(), "ROLLBACK TO req");
    stream_version_ = sqlite::prepare(
        write_db_.get(), "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?");
    stream_requests_ = sqlite::prepare(
        write_db_.get(),
        "SELECT request_key FROM events WHERE stream = ? AND request_key IS NOT NULL");
    read_stream_ = sqlite::prepare(
        read_db_.get(), (std::string("SELECT ") + columns +
                         " FROM events WHERE stream = ? AND version >= ? ORDER BY version")
                            .c_str());
    read_all_ = sqlite::prepare(read_db_.get(),
                                (std::string("SELECT ") + columns +
                                 " FROM events WHERE position >= ? ORDER BY position LIMIT ?")
                                    .c_str());
    read_fold_ = sqlite::prepare(read_db_.get(),
                                 "SELECT position, type, data, idempotency_key, time, recorded_at "
                                 "FROM events WHERE position >= ? ORDER BY position LIMIT ?");
    {
        auto tail = sqlite::prepare(
            write_db_.get(), "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1");
        sqlite::statement st{tail.get()};
        if (st.step() == SQLITE_ROW) {
            last_position_ = st.int64(0);
            last_hash_ = st.text(1);
        } else {
            last_hash_ = std::string(genesis_hash);
        }
    }
    head_ = last_position_;
    writer_ = std::thread([this] { writer_loop(); });
}

sqlite_event_log::~sqlite_event_log() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_.join();
    head_cv_.notify_all();
}

std::expected<append_result, std::error_code> sqlite_event_log::append(append_request request) {
    if (request.events.empty()) return append_result{0, 0, request.expected_version, false};
    // Shared with the callback: the writer may still be inside set_value when get() returns.
    auto promise = std::make_shared<std::promise<std::expected<append_result, std::error_code>>>();
    auto result = promise->get_future();
    append_callback done = [promise](auto r) { promise->set_value(std::move(r)); };
    {
        std::unique_lock lock(queue_mutex_);
        if (stopping_) return std::unexpected(make_error_code(log_errc::closed));
        if (queue_.empty() && !committing_) {
            // Nobody is committing and nobody waits: commit this request on the caller's thread.
            // A lone appender (`process`, `import`, a quiet service) then pays no hand-off to
            // the writer thread and back; appends arriving meanwhile queue for the writer.
            committing_ = true;
            lock.unlock();
            std::vector<pending> batch;
            batch.push_back(pending{std::move(request), std::move(done)});
            // As on the writer thread, an exception here ends the process: it must not leave
            // `committing_` set and every later append waiting.
            [&]() noexcept { commit_batch(batch); }();
            lock.lock();
            committing_ = false;
            const bool writer_needed = !queue_.empty() || stopping_;
            lock.unlock();
            if (writer_needed) queue_cv_.notify_one();
            return result.get();
        }
        queue_.push_back(pending{std::move(request), std::move(done)});
    }
    queue_cv_.notify_one();
    return result.get();
}

void sqlite_event_log::append_async(append_request request, append_callback done) {
    if (request.events.empty()) return done(append_result{0, 0, request.expected_version, false});
    bool wake = false;
    {
        std::unique_lock lock(queue_mutex_);
        if (stopping_) {
            lock.unlock();
            return done(std::unexpected(make_error_code(log_errc::closed)));
        }
        // A busy writer (or inline committer) looks at the queue again when its batch is done.
        wake = queue_.empty() && !committing_;
        queue_.push_back(pending{std::move(request), std::move(done)});
    }
    if (wake) queue_cv_.notify_one();
}

void sqlite_event_log::writer_loop() {
    for (;;) {
        std::vector<pending> batch;
        {
            std::unique_lock lock(queue_mutex_);
            queue_cv_.wait(lock, [this] { return (stopping_ || !queue_.empty()) && !committing_; });
            if (queue_.empty() && stopping_) return;
            while (!queue_.empty() && batch.size() < opts_.max_batch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            committing_ = true;
        }
        commit_batch(batch);
        std::lock_guard lock(queue_mutex_);
        committing_ = false;
    }
}

void sqlite_event_log::commit_batch(std::vector<pending>& batch) {
    const auto start_position = last_position_;
    const auto start_hash = last_hash_;
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::expected<append_result, std::error_code>> results;
    results.reserve(batch.size());
    bool ok = sqlite::run(begin_.get());
    if (ok) {
        for (auto& p : batch) results.push_back(apply(p.request));
        ok = store_counts() && (!batch_loses_summaries_ || mark_summaries(false)) &&
             sqlite::run(commit_.get());
    }
    batch_counts_.clear();
    if (ok && batch_loses_summaries_) summaries_complete_ = false;
    batch_loses_summaries_ = false;
    if (!ok) {
        sqlite::run(rollback_.get());
        last_position_ = start_position;
        last_hash_ = start_hash;
        batch_records_.clear();
        for (const auto& stream : batch_streams_) known_.erase(stream);
        results.assign(batch.size(), std::unexpected(make_error_code(log_errc::storage_failure)));
    } else {
        {
            std::lock_guard lock(head_mutex_);
            for (auto& r : batch_records_) recent_.push_back(std::move(r));
            while (recent_.size() > recent_capacity) recent_.pop_front();
            head_ = last_position_;
        }
        batch_records_.clear();
        head_cv_.notify_all();
    }
    batch_streams_.clear();
    if (opts_.on_commit)
        opts_.on_commit(group_commit{
            batch.size(), static_cast<std::size_t>(ok ? last_position_ - start_position : 0),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), ok});
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

// Runs inside the batch transaction; a failing request rolls back to its own savepoint so the
// others in the batch still commit.
std::expected<append_result, std::error_code> sqlite_event_log::apply(const append_request& r) {
    const auto known = know(r.stream);
    if (!known) return std::unexpected(known.error());
    auto& stream = **known;
    std::int64_t version = stream.version;
    const auto digest = r.request_key.empty() ? std::string{} : request_digest(r);
    const auto key_hash = std::hash<std::string_view>{}(r.request_key);
    // A stream without events has no requests to look through (filings, a third of the traffic);
    // a key the stream's requests do not hash to is not among them.
    if (!r.request_key.empty() && version > 0 &&
        (select_legacy_request_ ||
         std::find(stream.keys.begin(), stream.keys.end(), key_hash) != stream.keys.end())) {
        if (auto earlier = find_request(r)) {
            if (earlier->digest != digest)
                return std::unexpected(make_error_code(log_errc::idempotency_conflict));
            return earlier->result;
        }
    }
    if (version != r.expected_version)
        return std::unexpected(make_error_code(log_errc::wrong_expected_version));

    const auto saved_position = last_position_;
    const auto saved_hash = last_hash_;
    const auto saved_records = batch_records_.size();
    sqlite::run(savepoint_.get());
    auto fail = [&] {
        sqlite::run(rollback_to_.get());
        sqlite::run(release_.get());
        last_position_ = saved_position;
        last_hash_ = saved_hash;
        batch_records_.resize(saved_records);
        known_.erase(r.stream);
        return std::unexpected(make_error_code(log_errc::storage_failure));
    };
    append_result out{last_position_ + 1, 0, version, false};
    for (const auto& e : r.events) {
        event_record rec{last_position_ + 1,
                         r.stream,
                         ++version,
                         r.partition_key,
                         e.type,
                         e.data,
                         e.time,
                         r.recorded_at,
                         e.idempotency_key,
                         e.causation_id,
                         e.correlation_id,
                         last_hash_,
                         {},
                         e.traceparent,
                         e.tracestate};
        rec.hash = chain_hash(last_hash_, rec);
        // `rec`, the request and its digest outlive the step; the formatted instants do not.
        sqlite::statement st{insert_event_.get()};
        st.bind(1, rec.position)
            .bind_unowned(2, rec.stream)
            .bind(3, rec.version)
            .bind_unowned(4, rec.partition_key)
            .bind_unowned(5, rec.type)
            .bind_unowned(6, rec.data)
            .bind(7, iso8601::format_instant(rec.time))
            .bind(8, iso8601::format_instant(rec.recorded_at))
            .bind_unowned(9, rec.idempotency_key)
            .bind_unowned(10, rec.causation_id)
            .bind_unowned(11, rec.correlation_id)
            .bind_unowned(12, rec.prev_hash)
            .bind_unowned(13, rec.hash);
        if (!r.request_key.empty() && &e == &r.events.back())
            st.bind_unowned(14, r.request_key)
                .bind_unowned(15, digest)
                .bind(16, out.first_position);
        // Untraced events keep NULLs: no bytes per row for what most batch-imported logs lack.
        if (!rec.traceparent.empty()) st.bind_unowned(17, rec.traceparent);
        if (!rec.tracestate.empty()) st.bind_unowned(18, rec.tracestate);
        if (st.step() != SQLITE_DONE) return fail();
        last_position_ = rec.position;
        last_hash_ = rec.hash;
        batch_records_.push_back(std::move(rec));
    }
    if (!store_summary(r)) return fail();
    out.last_position = last_position_;
    out.stream_version = version;
    sqlite::run(release_.get());
    stream.version = version;
    if (!r.request_key.empty()) stream.keys.push_back(key_hash);
    batch_streams_.push_back(r.stream);
    return out;
}

// Inside the request's savepoint: the summary row goes with the events or not at all. Counts are
// collected for the batch (store_counts), so a rolled-back request leaves them as they were.
bool sqlite_event_log::store_summary(const append_request& r) {
    return std::visit(overloaded{[&](const summary_unknown&) {
                                     if (summaries_complete_) batch_loses_summaries_ = true;
                                     return true;
                                 },
                                 [](const no_summary&) { return true; },
                                 [&](const stream_summary& s) {
                                     sqlite::statement st{upsert_summary_.get()};
                                     st.bind_unowned(1, r.stream)
                                         .bind_unowned(2, s.partition_key)
                                         .bind_unowned(3, s.status);
                                     if (s.next_due)
                                         st.bind(4, s.next_due->time_since_epoch().count());
                                     if (st.step() != SQLITE_DONE) return false;
                                     if (s.previous_status != s.status) {
                                         if (!s.previous_status.empty())
                                             --batch_counts_[s.previous_status];
                                         ++batch_counts_[s.status];
                                     }
                                     return true;
                                 }},
                      r.summary);
}

bool sqlite_event_log::store_counts() {
    for (const auto& [status, n] : batch_counts_) {
        if (n == 0) continue;
        sqlite::statement st{add_count_.get()};
        st.bind_unowned(1, status).bind(2, n);
        if (st.step() != SQLITE_DONE) return false;
    }
    return true;
}

bool sqlite_event_log::mark_summaries(bool complete) {
    sqlite::statement st{set_meta_.get()};
    st.bind(1, std::string("summaries")).bind(2, std::int64_t{complete ? 1 : 0});
    return st.step() == SQLITE_DONE;
}

std::expected<std::optional<summary_snapshot>, std::error_code> sqlite_event_log::load_summaries() {
    std::lock_guard lock(read_mutex_);
    {
        sqlite::statement st{meta_.get()};
        st.bind(1, std::string("summaries"));
        const int rc = st.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return std::unexpected(make_error_code(log_errc::storage_failure));
        if (rc != SQLITE_ROW || st.int64(0) != 1) return std::nullopt;
    }
    summary_snapshot out;
    int rc;
    {
        sqlite::statement st{counts_.get()};
        while ((rc = st.step()) == SQLITE_ROW) out.by_status[st.text(0)] = st.int64(1);
        if (rc != SQLITE_DONE) return std::unexpected(make_error_code(log_errc::storage_failure));
    }
    sqlite::statement st{summary_rows_.get()};
    while ((rc = st.step()) == SQLITE_ROW) {
        auto& row = out.rows.emplace_back(summary_row{st.text(0), st.text(1), std::nullopt});
        if (!st.is_null(2)) row.next_due = instant{std::chrono::seconds{st.int64(2)}};
    }
    if (rc != SQLITE_DONE) return std::unexpected(make_error_code(log_errc::storage_failure));
    return out;
}

// Runs as a batch of its own (nothing else commits meanwhile): rows, counts and the flag in one
// transaction, so a crash leaves the old index (marked incomplete) or the new one.
std::expected<void, std::error_code> sqlite_event_log::replace_summaries(
    const std::vector<std::pair<std::string, stream_summary>>& summaries) {
    {
        std::unique_lock lock(queue_mutex_);
        queue_cv_.wait(lock, [this] { return !committing_; });
        if (stopping_) return std::unexpected(make_error_code(log_errc::closed));
        committing_ = true;
    }
    const auto ok = [&] {
        if (!sqlite::run(begin_.get())) return false;
        try {
            sqlite::exec(write_db_.get(),
                         "DELETE FROM stream_summaries; DELETE FROM summary_counts");
        } catch (const std::runtime_error&) {
            return false;
        }
        for (const auto& [stream, s] : summaries) {
            append_request r;
            r.stream = stream;
            r.summary = stream_summary{s.partition_key, s.status, {}, s.next_due};
            if (!store_summary(r)) return false;
        }
        return store_counts() && mark_summaries(true) && sqlite::run(commit_.get());
    }();
    batch_counts_.clear();
    if (!ok) sqlite::run(rollback_.get());
    if (ok) summaries_complete_ = true;
    {
        std::lock_guard lock(queue_mutex_);
        committing_ = false;
    }
    queue_cv_.notify_all();
    if (!ok) return std::unexpected(make_error_code(log_errc::storage_failure));
    return {};
}

std::expected<sqlite_event_log::known_stream*, std::error_code> sqlite_event_log::know(
    const std::string& stream) {
    if (const auto it = known_.find(stream); it != known_.end()) return &it->second;
    known_stream k;
    {
        sqlite::statement st{stream_version_.get()};
        st.bind(1, stream);
        if (st.step() != SQLITE_ROW)
            return std::unexpected(make_error_code(log_errc::storage_failure));
        k.version = st.int64(0);
    }
    if (k.version > 0) {
        sqlite::statement st{stream_requests_.get()};
        st.bind(1, stream);
        int rc;
        while ((rc = st.step()) == SQLITE_ROW)
            k.keys.push_back(std::hash<std::string_view>{}(st.view(0)));
        if (rc != SQLITE_DONE) return std::unexpected(make_error_code(log_errc::storage_failure));
    }
    if (known_.size() >= known_capacity) known_.clear();  // bounded; refilled as streams come
    return &known_.emplace(stream, std::move(k)).first->second;
}

std::optional<sqlite_event_log::stored_request> sqlite_event_log::find_request(
    const append_request& r) {
    {
        sqlite::statement st{select_request_.get()};
        st.bind(1, r.stream).bind(2, r.request_key);
        if (st.step() == SQLITE_ROW)
            return stored_request{st.text(0), {st.int64(1), st.int64(2), st.int64(3), true}};
    }
    if (!select_legacy_request_) return std::nullopt;
    sqlite::statement st{select_legacy_request_.get()};
    st.bind(1, r.request_key);
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return stored_request{st.text(0), {st.int64(1), st.int64(2), st.int64(3), true}};
}

std::expected<std::vector<event_record>, std::error_code> sqlite_event_log::query(sqlite3_stmt* s) {
    std::vector<event_record> out;
    sqlite::statement st{s};
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        const auto time = iso8601::parse_instant(st.text(6));
        const auto recorded = iso8601::parse_instant(st.text(7));
        if (!time || !recorded) return std::unexpected(make_error_code(log_errc::corrupt_record));
        out.push_back(event_record{st.int64(0), st.text(1), st.int64(2), st.text(3), st.text(4),
                                   st.text(5), *time, *recorded, st.text(8), st.text(9),
                                   st.text(10), st.text(11), st.text(12), st.text(13),
                                   st.text(14)});
    }
    if (rc != SQLITE_DONE) return std::unexpected(make_error_code(log_errc::storage_failure));
    return out;
}

std::expected<std::vector<event_record>, std::error_code> sqlite_event_log::read_stream(
    const std::string& stream, std::int64_t from_version) {
    std::lock_guard lock(read_mutex_);
    sqlite3_bind_text(read_stream_.get(), 1, stream.data(), static_cast<int>(stream.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(read_stream_.get(), 2, from_version);
    return query(read_stream_.get());
}

std::expected<std::vector<event_record>, std::error_code> sqlite_event_log::read_all(
    std::int64_t from_position, std::size_t max) {
    if (auto recent = read_recent(from_position, max)) return std::move(*recent);
    std::lock_guard lock(read_mutex_);
    sqlite3_bind_int64(read_all_.get(), 1, from_position);
    sqlite3_bind_int64(read_all_.get(), 2, static_cast<std::int64_t>(max));
    return query(read_all_.get());
}

// Subscribers follow the head: what they read next was committed a moment ago, and is served
// from memory instead of read back from SQLite (the read side's share of webhook ingest).
std::optional<std::vector<event_record>> sqlite_event_log::read_recent(std::int64_t from,
                                                                       std::size_t max) {
    std::lock_guard lock(head_mutex_);
    if (recent_.empty() || from < recent_.front().position || max == 0) return std::nullopt;
    std::vector<event_record> out;
    if (from > recent_.back().position) return out;  // nothing is committed past the head
    const auto first = recent_.begin() + (from - recent_.front().position);
    const auto n = std::min<std::size_t>(max, static_cast<std::size_t>(recent_.end() - first));
    out.assign(first, first + static_cast<std::ptrdiff_t>(n));
    return out;
}

// Only the columns projections fold, copied straight from SQLite's row into the page's buffer.
std::expected<fold_page, std::error_code> sqlite_event_log::read_fold_page(
    std::int64_t from_position, std::size_t max) {
    std::lock_guard lock(read_mutex_);
    sqlite::statement st{read_fold_.get()};
    st.bind(1, from_position).bind(2, static_cast<std::int64_t>(max));
    fold_page page;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        const auto time = iso8601::parse_instant(st.view(4));
        const auto recorded = iso8601::parse_instant(st.view(5));
        if (!time || !recorded) return std::unexpected(make_error_code(log_errc::corrupt_record));
        page.add(st.int64(0), st.view(1), st.view(2), st.view(3), *time, *recorded);
    }
    if (rc != SQLITE_DONE) return std::unexpected(make_error_code(log_errc::storage_failure));
    return page;
}

void sqlite_event_log::wait_for(std::int64_t position, std::chrono::milliseconds timeout) {
    std::unique_lock lock(head_mutex_);
    head_cv_.wait_for(lock, timeout, [&] { return head_.load() >= position; });
}

std::unique_ptr<subscription> sqlite_event_log::subscribe(
    std::int64_t from_position, std::function<void(const event_record&)> handler) {
    return std::make_unique<sqlite_subscription>(*this, from_position, std::move(handler));
}

}  // namespace bb
