#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "domain/time.hpp"
#include "infra/bloom_filter.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace bb {

// Remembers which webhook deliveries were accepted (source + webhook-id) and what we answered,
// so a redelivery gets the same 202 without touching the log. Correctness does not hang on it:
// a receipt lost in a crash only means the events are decided again, and the domain's
// idempotency keys turn that into no new events.
//
// That is why receipts are cheap to keep: a receipt is visible to find() as soon as remember()
// returns, and a background thread writes what has accumulated over `linger` in one transaction
// with synchronous=NORMAL (no fsync per request). A crash or power loss costs only the last
// receipts, never an event. A transaction per request, or a writer woken for every receipt,
// would make the receipt cost as much as the event it answers for.
//
// Nearly every delivery is new: a Bloom filter of every receipt (loaded at start, sized for twice
// the receipts then held, at least a million) answers those without a SQLite lookup. Past its
// size it answers "maybe" more often, which costs
// only the lookup; a restart sizes it again.
class webhook_receipts {
  public:
    explicit webhook_receipts(const std::string& path,
                              std::chrono::milliseconds linger = std::chrono::milliseconds{20});
    ~webhook_receipts();  // writes what is still pending
    webhook_receipts(const webhook_receipts&) = delete;
    webhook_receipts& operator=(const webhook_receipts&) = delete;

    std::optional<std::string> find(const std::string& source, const std::string& webhook_id);
    void remember(const std::string& source, const std::string& webhook_id,
                  const std::string& response, instant at);
    // Blocks until every receipt remembered so far is written (tests, shutdown).
    void flush();

  private:
    using key = std::pair<std::string, std::string>;
    struct entry {
        std::string response;
        instant at;
    };
    void writer_loop();
    void write(const std::map<key, entry>& batch);
    static std::uint64_t hash(std::string_view source, std::string_view webhook_id);

    std::mutex mutex_;
    std::condition_variable wake_, written_;
    std::map<key, entry> pending_;  // remembered, not yet handed to the writer
    std::map<key, entry> writing_;  // being written now; still answered from memory
    std::chrono::milliseconds linger_;
    static constexpr std::size_t max_batch_ = 4096;  // written at once, without lingering
    std::uint64_t remembered_ = 0, flushed_ = 0;
    std::uint64_t flush_target_ = 0;  // flush() waits for this many
    bool stopping_ = false;
    bloom_filter known_{0};  // every receipt, stored or in memory
    std::mutex db_mutex_;
    sqlite::db_ptr db_;
    sqlite::stmt_ptr find_, insert_, begin_, commit_, rollback_;
    std::thread writer_;
};

}  // namespace bb
