#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/kafka/client.hpp"

namespace bb::kafka {

// What a failed transactional call means for the caller (librdkafka's transactional contract).
enum class txn_errc {
    retriable = 1,  // try the same call again
    abortable,      // abort the transaction and rewind the input to the last commit
    fatal,          // the producer is unusable: make a new one
    fenced,         // another instance took over this transactional id or group generation
};

struct txn_error {
    txn_errc code = txn_errc::abortable;
    std::string message;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

// A transactional, idempotent producer (acks=all). One transaction at a time; produce() may only
// be called inside one. Not thread-safe: the owner serialises calls.
inline constexpr int transaction_timeout_ms = 10000;

class txn_producer {
  public:
    static std::expected<std::unique_ptr<txn_producer>, std::string> open(
        const settings& base, const std::string& transactional_id, int timeout_ms = 30000);

    bool in_transaction() const { return in_txn_; }
    // Whether the open transaction has outlived transaction.timeout.ms: the coordinator has
    // aborted it and bumped the epoch, so the next call reports "fenced" although no other
    // instance took over (a broker outage does this).
    bool outlived_timeout() const;
    // How long the open transaction has been open (zero outside one).
    std::chrono::steady_clock::duration age() const;
    std::expected<void, txn_error> begin();
    std::expected<void, txn_error> produce(const std::string& topic, std::int32_t partition,
                                           const std::string& key, const std::string& value,
                                           const header_list& headers);
    // The consumer's positions become part of the transaction (exactly-once consume->produce).
    std::expected<void, txn_error> send_offsets(
        RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& offsets);
    std::expected<void, txn_error> commit();
    // Waits until every record produced so far is acknowledged. Aborting right after a
    // produce races librdkafka 2.0.2's AddPartitionsToTxn against the coordinator still
    // completing the previous commit: the broker then answers EndTxn with INVALID_TXN_STATE,
    // which librdkafka treats as fatal (confluentinc/librdkafka#4849).
    std::expected<void, txn_error> flush();
    // Aborts the open transaction, if any. Errors here leave the producer for recreation.
    std::expected<void, txn_error> abort();
    // The offset of the last record of the current (or last committed) transaction delivered
    // to this partition, from the delivery reports. commit() serves every report before it
    // returns (it flushes), so after a commit this covers the whole transaction.
    std::optional<std::int64_t> delivered(const std::string& topic, std::int32_t partition) const;

    class delivery_tracker;
    txn_producer(std::unique_ptr<delivery_tracker> t, std::unique_ptr<RdKafka::Producer> p,
                 int timeout_ms);
    ~txn_producer();

  private:
    std::unique_ptr<delivery_tracker> tracker_;  // outlives producer_, which calls it
    std::unique_ptr<RdKafka::Producer> producer_;
    int timeout_ms_;
    bool in_txn_ = false;
    std::chrono::steady_clock::time_point began_{};
};

txn_error classify(const RdKafka::Error& e);

}  // namespace bb::kafka
