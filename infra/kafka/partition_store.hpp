#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/event_log.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace bb::kafka {

// An owner's durable copy of one partition of the event topic: a SQLite file under the data
// directory holding the partition's events (the CloudEvent text, indexed by stream), its
// idempotency records, each complaint's summary (customer, state, next deadline) and the
// topic offset it reflects. The topic stays the source of truth: the store is written in step
// with the owner's Kafka transactions, so after a crash it is behind the topic, never ahead, and
// the next owner reads only the tail after `next_offset`. What RAM holds is the owner's business.
//
// Two levels of transaction. Each Kafka transaction's writes are a SQLite savepoint (begin with
// the first append, commit after Kafka's commit, roll back after an abort), inside one SQLite
// transaction that holds only committed Kafka transactions and is made durable by flush(). The
// owner flushes about once a second, not once per Kafka transaction: the random pages of the
// stream, request and summary indexes are then written once per flush instead of once per
// transaction (docs/benchmarks.md, "Fewer store commits"). A crash loses at most what was not
// flushed, which the next start reads again from the topic.
//
// Not thread-safe: the partition's owner serialises calls.
class partition_store {
  public:
    struct request_entry {
        std::string digest;
        std::int64_t first = 0, last = 0, version = 0;
    };

    // Opens (creating) the store of `topic`/`partition` at `path`. A file that is not a store of
    // that partition (or not a database) is an error: the caller deletes it and
    // starts empty (the topic has everything).
    static std::expected<std::unique_ptr<partition_store>, std::string> open(
        const std::string& path, const std::string& topic, std::int32_t partition);

    // The first topic offset not reflected (0: nothing yet).
    std::int64_t next_offset() const { return next_offset_; }
    std::int64_t head() const { return head_; }  // the last position, 0 when empty
    const std::string& last_hash() const { return last_hash_; }

    // Opens a (Kafka) transaction unless one is open. Everything added joins it until
    // commit/rollback.
    std::expected<void, std::string> begin();
    bool in_transaction() const { return in_txn_; }
    // Keeps the open transaction (its Kafka transaction committed), recording that the store
    // now reflects the topic up to (not including) `next_offset`; with nothing open, just records
    // the offset. Durable at the next flush().
    std::expected<void, std::string> commit(std::int64_t next_offset);
    // Forgets what the open transaction added (the Kafka transaction was aborted); what earlier
    // commits kept stays, flushed or not.
    void rollback();
    // Makes every committed transaction durable. Refused while one is open.
    std::expected<void, std::string> flush();
    // Whether commits are waiting for a flush.
    bool unflushed() const { return outer_; }

    // Adds an event (in position order, head() + 1) with the request it belongs to. `body` is
    // its CloudEvent text when the caller has it already (the producer's), else it is made here.
    std::expected<void, std::string> add(const event_record& r, const std::string& request_key,
                                         const std::string& digest, std::string_view body = {});
    std::expected<void, std::string> set_summary(const std::string& stream,
                                                 const stream_summary& s);

    std::int64_t stream_size(const std::string& stream);
    std::expected<std::vector<event_record>, std::string> read_stream(const std::string& stream,
                                                                      std::int64_t from_version);
    std::expected<std::vector<event_record>, std::string> read_from(std::int64_t position,
                                                                    std::size_t max);
    std::optional<request_entry> find_request(const std::string& key);
    // Every complaint summary and the counts by state: what the command side needs in memory.
    std::expected<summary_snapshot, std::string> summaries();

    // Rolls back an open transaction and flushes what was committed.
    ~partition_store();

  private:
    partition_store() = default;
    std::expected<void, std::string> prepare_all();
    std::expected<std::vector<event_record>, std::string> decode_rows(sqlite3_stmt* s);
    void reload_committed();

    sqlite::db_ptr db_;
    sqlite::stmt_ptr begin_, commit_, rollback_, savepoint_, release_, rollback_to_, set_offset_,
        insert_event_, upsert_request_, find_request_, stream_size_, read_stream_, read_from_,
        upsert_summary_, summaries_, counts_, last_;
    codec::cloudevent_reader reader_;
    std::int64_t next_offset_ = 0;
    std::int64_t head_ = 0;
    std::string last_hash_;
    bool in_txn_ = false;  // a Kafka transaction's savepoint is open
    bool outer_ = false;   // the SQLite transaction that flush() commits is open
    // What begin() saw, restored by rollback().
    std::int64_t txn_head_ = 0;
    std::string txn_hash_;
};

}  // namespace bb::kafka
