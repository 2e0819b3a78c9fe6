#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "infra/event_log.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace bb {

// The embedded event log: one SQLite file in WAL mode. A single writer thread takes every
// append that is waiting and commits them in one transaction (group commit): many concurrent
// appends share one fsync. An append that finds nobody committing and nobody waiting commits
// itself on the caller's thread (append_async never does). With synchronous=FULL an acknowledged
// append survives power loss.
//
// It also keeps the summary index (see summary_index): each append's stream summary is written
// in the batch's transaction, with counts by status, so a restart reads the open streams only.
class sqlite_event_log final : public event_log, public summary_index {
  public:
    // One group commit, as the service's metrics count it.
    struct group_commit {
        std::size_t appends = 0;  // requests in the batch (each one append call)
        std::size_t events = 0;   // events they wrote
        double seconds = 0;       // BEGIN to COMMIT returned: the transaction and its fsync
        bool committed = true;    // false: rolled back (a storage failure)
    };
    struct options {
        std::string path;
        bool synchronous_full = true;
        std::size_t max_batch = 1024;
        // Told of each group commit on the committing thread, before its appends are answered;
        // must not block or append.
        std::function<void(const group_commit&)> on_commit{};
    };

    explicit sqlite_event_log(options opts);  // throws std::runtime_error when it cannot open
    ~sqlite_event_log() override;

    std::expected<append_result, std::error_code> append(append_request request) override;
    // Always queued for the writer thread, which runs `done` after the batch's commit.
    void append_async(append_request request, append_callback done) override;
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override;
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from_position,
                                                                       std::size_t max) override;
    std::expected<fold_page, std::error_code> read_fold_page(std::int64_t from_position,
                                                             std::size_t max) override;
    std::int64_t head() override { return head_.load(); }
    std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) override;

    std::expected<std::optional<summary_snapshot>, std::error_code> load_summaries() override;
    std::expected<void, std::error_code> replace_summaries(
        const std::vector<std::pair<std::string, stream_summary>>& summaries) override;

    // Blocks until `position` is committed or the log closes; used by subscriptions.
    void wait_for(std::int64_t position, std::chrono::milliseconds timeout);

  private:
    struct pending {
        append_request request;
        append_callback done;
    };
    void writer_loop();
    void commit_batch(std::vector<pending>& batch);
    std::expected<append_result, std::error_code> apply(const append_request& r);
    struct stored_request {
        std::string digest;
        append_result result;
    };
    std::optional<stored_request> find_request(const append_request& r);
    std::expected<std::vector<event_record>, std::error_code> query(sqlite3_stmt* s);
    std::optional<std::vector<event_record>> read_recent(std::int64_t from, std::size_t max);
    bool store_summary(const append_request& r);
    bool store_counts();
    bool mark_summaries(bool complete);

    options opts_;
    sqlite::db_ptr write_db_;
    sqlite::db_ptr read_db_;
    sqlite::stmt_ptr insert_event_, select_request_, select_legacy_request_, stream_version_,
        stream_requests_, upsert_summary_, add_count_, set_meta_;
    sqlite::stmt_ptr counts_, summary_rows_, meta_;
    sqlite::stmt_ptr read_stream_, read_all_, read_fold_;
    // A batch's transaction and each request's savepoint in it.
    sqlite::stmt_ptr begin_, commit_, rollback_, savepoint_, release_, rollback_to_;
    std::mutex read_mutex_;

    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::deque<pending> queue_;
    bool stopping_ = false;
    bool committing_ = false;  // a batch is being committed (by the writer or an appender)

    std::mutex head_mutex_;
    std::condition_variable head_cv_;
    std::atomic<std::int64_t> head_{0};
    // The last committed records, gapless, guarded by head_mutex_ (see read_recent).
    static constexpr std::size_t recent_capacity = 2048;
    std::deque<event_record> recent_;

    // Writer-thread state: the tail of the hash chain, and the records of the batch being
    // committed.
    std::int64_t last_position_ = 0;
    std::string last_hash_;
    std::vector<event_record> batch_records_;
    // What the writer knows of streams it appended to or looked through: their version and the
    // hashes of their requests' keys (those stored on event rows). Most appends then ask SQLite
    // nothing before their insert; a key whose hash is known is looked up for real. Streams a
    // failed request or batch touched are forgotten (read again on next use).
    struct known_stream {
        std::int64_t version = 0;
        std::vector<std::uint64_t> keys;
    };
    static constexpr std::size_t known_capacity = 65536;
    std::unordered_map<std::string, known_stream> known_;
    std::vector<std::string> batch_streams_;
    // Whether the summary index covers the log (writer-thread state, as stored in log_meta), and
    // the batch's changes to the counts by status and to that flag, applied when it commits.
    bool summaries_complete_ = true;
    bool batch_loses_summaries_ = false;
    std::map<std::string, std::int64_t> batch_counts_;
    std::expected<known_stream*, std::error_code> know(const std::string& stream);

    std::thread writer_;
};

}  // namespace bb
