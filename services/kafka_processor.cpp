#include "services/kafka_processor.hpp"

#include "infra/logger.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "handlers/ingress/kafka_record_decoder.hpp"
#include "handlers/stream_fold.hpp"
#include "infra/iso8601.hpp"
#include "infra/logger.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb {

std::expected<int, std::string> check_copartitioned(const kafka_processor_options& o) {
    auto probe = kafka::make_producer(o.client);
    if (!probe) return std::unexpected(probe.error());
    const auto in = kafka::partition_count(**probe, o.inbound_topic);
    if (!in) return std::unexpected(in.error());
    const auto ev = kafka::partition_count(**probe, o.events_topic);
    if (!ev) return std::unexpected(ev.error());
    if (*in != *ev)
        return std::unexpected("topics " + o.inbound_topic + " (" + std::to_string(*in) +
                               " partitions) and " + o.events_topic + " (" + std::to_string(*ev) +
                               " partitions) are not co-partitioned: a customer's inbound records "
                               "and domain events must share a partition number; give both the "
                               "same partition count");
    if (!kafka::partition_count(**probe, o.deadletter_topic))
        return std::unexpected("topic " + o.deadletter_topic + " does not exist");
    return *in;
}

namespace {

// The span deciding a record's event: a child of the event's own traceparent attribute, else of
// the record's `traceparent` header (the ingress that produced it, or the producer's tracing),
// else the start of a trace.
trace::context trace_of(const inbound::cloud_event& e, const kafka::record& r) {
    if (auto own = trace::parse(e.traceparent, e.tracestate)) return trace::child_of(*own);
    const auto tp = r.header("traceparent");
    const auto ts = r.header("tracestate");
    return trace::continue_or_start(tp.value_or(""), ts.value_or(""));
}

bool cooperative(RdKafka::KafkaConsumer& consumer) {
    return consumer.rebalance_protocol() == "COOPERATIVE";
}

// librdkafka's incremental calls return an error object the caller owns (nullptr: success).
bool succeeded(RdKafka::Error* e) {
    const std::unique_ptr<RdKafka::Error> owned(e);
    return owned == nullptr;
}

}  // namespace

// Cooperative rebalancing (KIP-429): a change assigns or revokes only the partitions that move,
// so an instance whose partitions stay is not even called, and keeps processing. The eager
// branch is for a consumer configured otherwise (librdkafka reports the protocol in use): every
// change then revokes the whole assignment and assigns the new one. Fetch positions come from
// the committed offsets either way. The processor only consumes between transactions, so a
// revocation never finds one open.
class kafka_processor::rebalance_listener final : public RdKafka::RebalanceCb {
  public:
    explicit rebalance_listener(metrics& m) : metrics_(m) {}
    bool changed = false;
    // Since the last take: partitions assigned and revoked incrementally, and whether the whole
    // assignment was replaced (the eager protocol, or partitions lost).
    std::vector<std::int32_t> added;
    std::vector<std::int32_t> removed;
    bool replaced = false;

    void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                      std::vector<RdKafka::TopicPartition*>& partitions) override {
        const bool assigning = err == RdKafka::ERR__ASSIGN_PARTITIONS;
        if (!partitions.empty())
            metrics_.add("bounceback_kafka_rebalances_total",
                         {{"change", assigning                     ? "assigned"
                                     : consumer->assignment_lost() ? "lost"
                                                                   : "revoked"}});
        note(*consumer, assigning, partitions);
        if (cooperative(*consumer)) {
            // Called even with nothing to move: the group waits for the call before the next
            // round. An empty incremental assignment means nothing of ours moved.
            if (assigning)
                succeeded(consumer->incremental_assign(partitions));
            else
                succeeded(consumer->incremental_unassign(partitions));
            if (partitions.empty()) return;
        } else if (assigning) {
            consumer->assign(partitions);
        } else {
            consumer->unassign();
        }
        changed = true;
    }

    void forget() {
        changed = replaced = false;
        added.clear();
        removed.clear();
    }

  private:
    metrics& metrics_;
    void note(RdKafka::KafkaConsumer& consumer, bool assigning,
              const std::vector<RdKafka::TopicPartition*>& partitions) {
        if (partitions.empty() && cooperative(consumer)) return;
        // Partitions lost (the member was kicked out) may have moved on already: everything
        // is rebuilt.
        if (!cooperative(consumer) || consumer.assignment_lost()) {
            replaced = true;
            return;
        }
        for (const auto* p : partitions) {
            if (assigning) {
                // Revoked and given back before the change is handled: it is dropped and loaded
                // again (another member may have written to it in between; the load reads that
                // as its store's tail).
                added.push_back(p->partition());
            } else {
                // Given and taken away before the change is handled: never loaded, not ours.
                std::erase(added, p->partition());
                removed.push_back(p->partition());
            }
        }
    }
};

kafka_processor::kafka_processor(kafka_processor_options o, const policy_book& book, metrics& m,
                                 std::function<instant()> clock,
                                 std::function<void(const std::string&)> log)
    : o_(std::move(o)),
      book_(book),
      metrics_(m),
      clock_(std::move(clock)),
      say_(std::move(log)),
      listener_(std::make_unique<rebalance_listener>(m)),
      commands_(log_, book_, metrics_, {o_.cached_streams, o_.future_tolerance, log_line}) {
    commands_.on_deadline_change([this](const complaint_id& id, std::optional<instant> next) {
        deadlines_.update(id, next);
    });
    // The command side's counts cover the partitions this instance owns, not the cluster.
    metrics_.describe("bounceback_complaints", "gauge",
                      "Complaints by state, of the partitions this instance owns (Kafka mode: sum "
                      "over the instances for the cluster)");
    metrics_.describe("bounceback_kafka_records_total", "counter",
                      "Inbound Kafka records, by outcome (processed, deadlettered)");
    metrics_.describe("bounceback_kafka_transactions_total", "counter",
                      "Kafka transactions, by outcome (committed, aborted)");
    metrics_.describe("bounceback_deadletter_total", "counter",
                      "Records sent to the dead-letter topic, by kind (invalid, rejected)");
    metrics_.describe("bounceback_kafka_rebuilds_total", "counter",
                      "Times the owned partitions' state was rebuilt from the event topic");
    metrics_.describe("bounceback_kafka_replayed_events_total", "counter",
                      "Events read from the event topic to load owned partitions (with local "
                      "stores: only the tail each store had not seen)");
    metrics_.describe("bounceback_kafka_rebalances_total", "counter",
                      "Partitions of the inbound topic assigned to, revoked from or lost by this "
                      "instance (a rebalance moves several)");
    metrics_.describe("bounceback_kafka_rebuild_seconds", "histogram",
                      "Time to load owned partitions' state (local store and topic tail) after "
                      "an assignment or a rewind");
    metrics_.describe("bounceback_kafka_commit_seconds", "histogram",
                      "Latency of committing one transaction (events, deadletters, offsets)");
    metrics_.describe("bounceback_kafka_fenced_total", "counter",
                      "Times this instance was fenced (another instance took its transactional "
                      "id or partitions)");
    metrics_.gauge(
        "bounceback_kafka_consumer_lag",
        "Inbound records not yet processed, per owned "
        "partition (the high watermark minus the consumer's position, as last measured)",
        [this] {
            std::lock_guard lock(lag_mutex_);
            metric_samples out;
            for (const auto& [p, n] : lag_)
                out.push_back({{{"partition", std::to_string(p)}}, static_cast<double>(n)});
            return out;
        });
    metrics_.gauge("bounceback_kafka_owned_partitions", "Inbound partitions this instance owns",
                   [this] {
                       return std::vector<std::pair<metric_labels, double>>{
                           {{}, static_cast<double>(owned_.load())}};
                   });
}

kafka_processor::~kafka_processor() = default;

void kafka_processor::measure_lag() {
    const auto now = std::chrono::steady_clock::now();
    if (!consumer_ || now - lag_measured_ < std::chrono::seconds{1}) return;
    lag_measured_ = now;
    auto lag = kafka::consumer_lag(*consumer_);
    std::lock_guard lock(lag_mutex_);
    lag_ = std::move(lag);
}

bool kafka_processor::rewind() {
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return false;
    const auto fetched = consumer_->committed(parts, 30000);
    positions_.clear();
    for (auto* p : parts)
        if (fetched != RdKafka::ERR_NO_ERROR || p->offset() < 0)
            p->set_offset(RdKafka::Topic::OFFSET_INVALID);  // the group's committed or earliest
        else
            positions_[p->partition()] = p->offset();
    // Under the cooperative protocol the assignment only changes incrementally: the same
    // partitions are taken back and given again, now at the committed offsets.
    const bool ok = cooperative(*consumer_) ? succeeded(consumer_->incremental_unassign(parts)) &&
                                                  succeeded(consumer_->incremental_assign(parts))
                                            : consumer_->assign(parts) == RdKafka::ERR_NO_ERROR;
    RdKafka::TopicPartition::destroy(parts);
    return ok;
}

std::expected<void, std::string> kafka_processor::rebuild() {
    ready_ = false;
    std::vector<RdKafka::TopicPartition*> parts;
    if (const auto code = consumer_->assignment(parts); code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assignment: " + RdKafka::err2str(code));
    std::vector<std::int32_t> owned;
    for (const auto* p : parts) owned.push_back(p->partition());
    RdKafka::TopicPartition::destroy(parts);

    commands_.reset();
    deadlines_.clear();
    log_.clear();
    owned_ = 0;
    return load(owned, "rebuilt");
}

void kafka_processor::keep_membership() {
    if (o_.load_observer) o_.load_observer();
    const auto now = std::chrono::steady_clock::now();
    if (now - polled_ < std::chrono::seconds{1}) return;
    polled_ = now;
    if (!paused_for_load_) {
        std::vector<RdKafka::TopicPartition*> parts;
        if (consumer_->assignment(parts) == RdKafka::ERR_NO_ERROR) {
            consumer_->pause(parts);
            RdKafka::TopicPartition::destroy(parts);
            paused_for_load_ = true;
        }
    }
    // A rebalance may run its callback here: the listener only notes it, and the change is
    // handled once this load is done. A record of a partition assigned meanwhile (not paused)
    // is dropped; end_keep_membership puts every position back to the committed offset.
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(0));
    if (m->err() == RdKafka::ERR_NO_ERROR) consumed_during_load_ = true;
}

void kafka_processor::end_keep_membership() {
    if (paused_for_load_) {
        std::vector<RdKafka::TopicPartition*> parts;
        if (consumer_->assignment(parts) == RdKafka::ERR_NO_ERROR) {
            consumer_->resume(parts);
            RdKafka::TopicPartition::destroy(parts);
        }
    }
    if (consumed_during_load_) (void)rewind();
    paused_for_load_ = consumed_during_load_ = false;
}

// Folds the given partitions of the event topic into the command side, next to what it holds
// already (their streams are not in it: this instance did not own them).
std::expected<void, std::string> kafka_processor::load(const std::vector<std::int32_t>& owned,
                                                       const char* verb) {
    ready_ = false;
    const auto started = std::chrono::steady_clock::now();
    polled_ = started;
    struct membership_kept {
        kafka_processor& p;
        ~membership_kept() { p.end_keep_membership(); }
    } kept{*this};
    std::size_t events = 0;
    if (!o_.state_dir.empty()) {
        const auto n = load_stored(owned);
        if (!n) return std::unexpected(n.error());
        events += *n;
    }
    for (const auto p : o_.state_dir.empty() ? owned : std::vector<std::int32_t>{}) {
        auto part = kafka::partition_log::open(producer_.get(), o_.client, o_.events_topic, p);
        if (!part) return std::unexpected(part.error());
        for (std::int64_t next = 1;;) {
            const auto page = (*part)->read_all(next, 4096);
            if (!page || page->empty()) break;
            for (const auto& r : *page) {
                if (auto ok = commands_.load(r); !ok)
                    return std::unexpected(o_.events_topic + "/" + std::to_string(p) + " " +
                                           ok.error());
                keep_membership();
            }
            events += page->size();
            next = page->back().position + 1;
        }
        log_.add(std::move(*part));
    }
    commands_.finish_loading();
    owned_ += static_cast<int>(owned.size());
    metrics_.add("bounceback_kafka_rebuilds_total", {});
    metrics_.observe(
        "bounceback_kafka_rebuild_seconds", {},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics_.add("bounceback_kafka_replayed_events_total", {}, static_cast<double>(events));
    std::string list;
    for (const auto& [p, _] : log_.partitions())
        list += (list.empty() ? "" : ",") + std::to_string(p);
    std::string loaded;
    for (const auto p : owned) loaded += (loaded.empty() ? "" : ",") + std::to_string(p);
    say_("kafka: own partitions [" + list + "]; " + verb + " [" + loaded +
         "]: " + std::to_string(events) + " events in " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()) +
         " ms; " + std::to_string(deadlines_.size()) + " complaints with deadlines");
    ready_ = true;
    return {};
}

std::string kafka_processor::store_path(std::int32_t partition) const {
    return (std::filesystem::path(o_.state_dir) /
            (o_.events_topic + "-" + std::to_string(partition) + ".db"))
        .string();
}

// Adds the records after each store's offset to the stores of `parts`, in one read of the
// topic, then brings the summaries of the complaints they touched up to date (the topic's
// records carry no summary: each such complaint is folded from its store once). Per partition:
// the events read, or why its store does not continue into the topic. An error: the read
// failed (for example an offset the topic does not have).
std::expected<std::map<std::int32_t, std::expected<std::size_t, std::string>>, std::string>
kafka_processor::replay_tails(const std::vector<kafka::partition_log*>& parts) {
    struct progress {
        kafka::partition_log* part;
        std::int64_t next;
        std::size_t events = 0;
        std::string failure;
        std::set<std::string> touched;
    };
    std::map<std::int32_t, progress> by_partition;
    std::map<std::int32_t, std::int64_t> from;
    for (auto* part : parts) {
        by_partition.emplace(part->partition(),
                             progress{part, part->store()->next_offset(), 0, {}, {}});
        from[part->partition()] = part->store()->next_offset();
    }
    const auto read = kafka::read_tails(o_.client, o_.events_topic, from, [&](kafka::record&& r) {
        keep_membership();
        auto& pr = by_partition.at(r.partition);
        if (!pr.failure.empty()) return;
        std::string stream;
        if (auto ok = pr.part->load(r, &stream); !ok) {
            pr.failure = ok.error();
            return;
        }
        ++pr.events;
        pr.next = r.offset + 1;
        if (stream.starts_with("complaint-")) pr.touched.insert(std::move(stream));
    });
    if (!read) return std::unexpected(read.error());
    std::map<std::int32_t, std::expected<std::size_t, std::string>> out;
    for (auto& [p, pr] : by_partition) {
        auto& store = *pr.part->store();
        const auto fail = [&](std::string why) {
            store.rollback();
            out.emplace(p, std::unexpected(std::move(why)));
        };
        if (!pr.failure.empty()) {
            fail(pr.failure);
            continue;
        }
        bool ok = true;
        for (const auto& stream : pr.touched) {
            // (fold_complaint rather than fold_stream here: GCC 12 at -O3 sees an uninitialised
            // string in the inlined template.)
            const auto folded = fold_complaint(
                *pr.part, complaint_id{stream.substr(std::string_view("complaint-").size())});
            if (!folded) {
                fail(stream + ": " + folded.error().message());
                ok = false;
                break;
            }
            if (!*folded) continue;  // never filed
            const auto& st = **folded;
            if (auto w = store.set_summary(stream, {st.customer.id.value(),
                                                    std::string(to_string(st.status)),
                                                    {},
                                                    next_deadline(st)});
                !w) {
                fail(w.error());
                ok = false;
                break;
            }
        }
        if (!ok) continue;
        auto c = store.commit(pr.next);
        if (c) c = store.flush();
        if (!c) {
            fail(c.error());
            continue;
        }
        out.emplace(p, pr.events);
    }
    return out;
}

std::expected<std::size_t, std::string> kafka_processor::load_stored(
    const std::vector<std::int32_t>& partitions) {
    std::filesystem::create_directories(o_.state_dir);
    const auto discard = [&](std::int32_t p) {
        for (const auto* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(store_path(p) + suffix);
    };
    // A store that cannot be opened, or does not continue into the topic, is started again: the
    // topic holds everything it had.
    const auto open =
        [&](std::int32_t p) -> std::expected<std::unique_ptr<kafka::partition_log>, std::string> {
        auto store = kafka::partition_store::open(store_path(p), o_.events_topic, p);
        // Another process holds the file (two instances on one data directory): not ours to
        // delete.
        if (!store && store.error().find("locked") != std::string::npos)
            return std::unexpected(store.error());
        if (!store) {
            say_("kafka: local store " + store_path(p) + ": " + store.error() +
                 "; rebuilding it from the topic");
            discard(p);
            store = kafka::partition_store::open(store_path(p), o_.events_topic, p);
            if (!store) return std::unexpected(store.error());
        }
        return std::make_unique<kafka::partition_log>(producer_.get(), o_.events_topic, p,
                                                      std::move(*store));
    };
    std::map<std::int32_t, std::unique_ptr<kafka::partition_log>> parts;
    std::vector<kafka::partition_log*> all;
    for (const auto p : partitions) {
        auto part = open(p);
        if (!part) return std::unexpected(part.error());
        all.push_back(part->get());
        parts[p] = std::move(*part);
    }
    // All tails in one read; when that fails, one partition at a time, to find whose store it
    // was.
    auto results = replay_tails(all);
    if (!results) {
        results.emplace();
        for (auto* part : all) {
            auto one = replay_tails({part});
            results->emplace(part->partition(), one ? std::move(one->at(part->partition()))
                                                    : std::expected<std::size_t, std::string>(
                                                          std::unexpected(one.error())));
        }
    }
    std::size_t events = 0;
    for (auto& [p, result] : *results) {
        if (!result) {
            say_("kafka: local store " + store_path(p) + ": " + result.error() +
                 "; rebuilding it from the topic");
            parts[p].reset();
            discard(p);
            auto part = open(p);
            if (!part) return std::unexpected(part.error());
            parts[p] = std::move(*part);
            auto again = replay_tails({parts[p].get()});
            if (!again) return std::unexpected(again.error());
            result = std::move(again->at(p));
            if (!result) return std::unexpected(result.error());
        }
        events += *result;
    }
    for (auto& [p, part] : parts) {
        const auto snapshot = part->store()->summaries();
        if (!snapshot) return std::unexpected(snapshot.error());
        if (auto r = commands_.load_summaries(*snapshot); !r) return std::unexpected(r.error());
        log_.add(std::move(part));
    }
    return events;
}

std::expected<void, kafka::txn_error> kafka_processor::dead_letter(const kafka::record& r,
                                                                   const std::string& kind,
                                                                   const std::string& reason) {
    // The reason in a header and in the body; the original bytes kept exactly (base64).
    const nlohmann::json body{{"reason", reason},
                              {"kind", kind},
                              {"topic", o_.inbound_topic},
                              {"partition", r.partition},
                              {"offset", r.offset},
                              {"key", r.key},
                              {"original_base64", webhooks::base64_encode(r.value)}};
    auto headers = r.headers;
    headers.emplace_back("bb_deadletter_reason", reason);
    headers.emplace_back("bb_deadletter_kind", kind);
    headers.emplace_back("bb_source", o_.inbound_topic + "/" + std::to_string(r.partition) + "/" +
                                          std::to_string(r.offset));
    metrics_.add("bounceback_deadletter_total", {{"kind", kind}});
    return producer_->produce(o_.deadletter_topic, RdKafka::Topic::PARTITION_UA, r.key,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                              headers);
}

std::expected<void, kafka::txn_error> kafka_processor::report(
    const kafka::record& r, const std::string& id, const std::string& type, std::string_view result,
    const std::string& reason, const std::string& detail) {
    if (o_.outcomes_topic.empty()) return {};
    const auto correlation = r.header("bb_correlation");
    const auto batch = r.header("bb_batch");
    if (!correlation || !batch) return {};  // not from a webhook: nobody asks
    nlohmann::json body{{"correlation", *correlation},
                        {"batch", *batch},
                        {"id", id},
                        {"type", type},
                        {"result", result}};
    if (!reason.empty()) body["reason"] = reason;
    if (!detail.empty()) body["detail"] = detail;
    // Keyed by the delivery: its events' outcomes share a partition, in order.
    return producer_->produce(o_.outcomes_topic, RdKafka::Topic::PARTITION_UA, *correlation,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                              {});
}

kafka_processor::batch_result kafka_processor::on_error(const kafka::txn_error& e,
                                                        const std::string& during) {
    say_("kafka: " + during + " failed: " + e.message);
    // The coordinator aborts a transaction older than transaction.timeout.ms and bumps the
    // producer epoch; the producer then reports "fenced" although no other instance exists. Told
    // apart by the transaction's age, measured before the abort attempt (which may take long).
    const bool outlived = producer_->outlived_timeout();
    const auto timed_out = [&] {
        say_(
            "kafka: the transaction outlived transaction.timeout.ms and was aborted by the "
            "coordinator; starting a new producer");
        return batch_result::recreate;
    };
    if (e.code == kafka::txn_errc::fenced) return outlived ? timed_out() : batch_result::fenced;
    if (e.code == kafka::txn_errc::fatal) return batch_result::recreate;
    if (auto a = producer_->abort(); !a) {
        say_("kafka: abort failed: " + a.error().message);
        if (a.error().code == kafka::txn_errc::fenced) {
            return outlived || producer_->outlived_timeout() ? timed_out() : batch_result::fenced;
        }
        return batch_result::recreate;
    }
    metrics_.add("bounceback_kafka_transactions_total", {{"outcome", "aborted"}});
    return batch_result::rewind;
}

kafka_processor::processed kafka_processor::process(const std::vector<kafka::record>& batch) {
    const auto first_due = deadlines_.earliest();
    if (batch.empty() && (!first_due || *first_due > clock_()))
        return {flush_stores(true) ? batch_result::committed : batch_result::rewind};
    if (auto b = producer_->begin(); !b) return {on_error(b.error(), "begin_transaction")};
    const auto over_budget = [&] { return producer_->age() >= o_.max_txn_work; };

    std::map<std::int32_t, std::int64_t> next_offsets;
    std::size_t taken = 0;
    std::size_t dead = 0;
    for (; taken < batch.size() && (taken == 0 || !over_budget()); ++taken) {
        const auto& r = batch[taken];
        next_offsets[r.partition] = r.offset + 1;
        log_.route_new_streams_to(r.partition);
        const auto ev = inbound::decode_kafka_record(r, decoder_);
        if (!ev) {
            const auto& e = ev.error();
            ++dead;
            const auto why = e.field.empty() ? e.detail : e.field + " " + e.detail;
            if (auto d = dead_letter(r, "invalid", why); !d)
                return {on_error(d.error(), "dead-letter produce")};
            if (auto o = report(r, "", "", "rejected", "invalid_argument", why); !o)
                return {on_error(o.error(), "outcome produce")};
            continue;
        }
        const command_meta meta{ev->event.source + "/" + ev->event.id,
                                "kafka:" + o_.inbound_topic + "/" + std::to_string(r.partition) +
                                    "/" + std::to_string(r.offset),
                                clock_(),
                                0,
                                0,
                                trace_of(ev->event, r)};
        const auto outcome = commands_.handle(ev->cmd, meta);
        if (!outcome)
            return {on_error({kafka::txn_errc::abortable, outcome.error().message()}, "append")};
        if (outcome->result == command_outcome::kind::rejected) {
            ++dead;
            if (auto d = dead_letter(
                    r, "rejected",
                    std::string(to_string(outcome->why->code)) + ": " + outcome->why->detail);
                !d)
                return {on_error(d.error(), "dead-letter produce")};
        }
        const auto result = outcome->result == command_outcome::kind::applied     ? "accepted"
                            : outcome->result == command_outcome::kind::unchanged ? "unchanged"
                                                                                  : "rejected";
        if (auto o = report(r, ev->event.id, ev->event.type, result,
                            outcome->why ? std::string(to_string(outcome->why->code)) : "",
                            outcome->why ? outcome->why->detail : "");
            !o)
            return {on_error(o.error(), "outcome produce")};
    }
    // Due deadlines share the budget; those left over stay queued for the next transaction.
    // Every transaction does at least one piece of work, so the budget never stalls progress.
    const auto now = clock_();
    const auto due = deadlines_.take_due(now);
    for (std::size_t i = 0; i < due.size(); ++i) {
        if (taken + i > 0 && over_budget()) {
            for (; i < due.size(); ++i) deadlines_.update(due[i].first, due[i].second);
            break;
        }
        const auto r =
            commands_.tick(due[i].first, now,
                           command_meta{"scheduler", "tick/" + iso8601::format_instant(now), now, 0,
                                        0, trace::start()});
        if (!r) return {on_error({kafka::txn_errc::abortable, r.error().message()}, "tick")};
    }
    // Every transaction carries the consumer's offsets, also one that holds only deadline
    // events: the group coordinator checks the consumer's generation when they are sent
    // (KIP-447), so an owner whose partitions have moved on cannot commit breaches the new owner
    // decides too. The offsets of partitions without new records are the committed ones again.
    auto positions = positions_;
    for (const auto& [p, off] : next_offsets) positions[p] = off;
    if (!positions.empty()) {
        std::vector<RdKafka::TopicPartition*> offsets;
        for (const auto& [p, off] : positions)
            offsets.push_back(RdKafka::TopicPartition::create(o_.inbound_topic, p, off));
        const auto sent = producer_->send_offsets(*consumer_, offsets);
        RdKafka::TopicPartition::destroy(offsets);
        if (!sent) return {on_error(sent.error(), "send_offsets_to_transaction")};
    }
    // An owner that stalled past max.poll.interval.ms has left the group without polling since:
    // its partitions may be someone else's already, and offsets sent after leaving carry no
    // generation to fence it with. What it decided must not commit.
    if (consumer_->assignment_lost())
        return {on_error({kafka::txn_errc::abortable,
                          "the partitions were lost (max.poll.interval.ms exceeded)"},
                         "commit_transaction")};
    const auto committing = std::chrono::steady_clock::now();
    if (auto c = producer_->commit(); !c) return {on_error(c.error(), "commit_transaction")};
    metrics_.observe(
        "bounceback_kafka_commit_seconds", {},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - committing).count());
    positions_ = std::move(positions);
    // The local stores follow the committed transaction. One that fails to commit is behind the
    // topic: state is restored from store and topic, which reads the tail it missed.
    for (const auto& [p, part] : log_.partitions())
        if (auto c = part->committed(producer_->delivered(o_.events_topic, p)); !c) {
            say_("kafka: local store of partition " + std::to_string(p) + ": " + c.error());
            return {batch_result::rewind};
        }
    if (!flush_stores(false)) return {batch_result::rewind};
    metrics_.add("bounceback_kafka_transactions_total", {{"outcome", "committed"}});
    metrics_.add("bounceback_kafka_records_total", {{"outcome", "processed"}},
                 static_cast<double>(taken - dead));
    if (dead)
        metrics_.add("bounceback_kafka_records_total", {{"outcome", "deadlettered"}},
                     static_cast<double>(dead));
    return {batch_result::committed, taken};
}

// The stores keep each committed transaction at once and make them durable here, about once a
// second under load (`now`: at once, as when input has run dry). A store that fails is behind
// the topic: the caller restores from store and topic.
bool kafka_processor::flush_stores(bool now) {
    const auto t = std::chrono::steady_clock::now();
    if (!now && t - flushed_ < o_.store_flush_interval) return true;
    flushed_ = t;
    for (const auto& [p, part] : log_.partitions())
        if (auto f = part->flush(); !f) {
            say_("kafka: local store of partition " + std::to_string(p) + ": " + f.error());
            return false;
        }
    return true;
}

// Input back to the committed offsets and state back to what the event topic holds. Going on
// without both would skip or double records, so a failure (broker away, leader moving) is retried
// until it works or the instance stops.
bool kafka_processor::restore(const std::atomic<bool>& stopping) {
    for (int attempt = 0; !stopping; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
        if (!rewind()) {
            say_("kafka: rewind: cannot read the committed offsets; retrying");
            continue;
        }
        if (auto r = rebuild(); !r) {
            say_("kafka: rebuild failed: " + r.error() + "; retrying");
            continue;
        }
        return true;
    }
    return false;
}

// Partitions assigned incrementally while the rest stay: only theirs are loaded. Input goes back
// to the committed offsets (the batch in hand was dropped); the state of the partitions already
// owned reflects exactly those. A failure falls back to a full restore.
bool kafka_processor::extend(const std::vector<std::int32_t>& added,
                             const std::atomic<bool>& stopping) {
    if (!rewind()) {
        say_("kafka: rewind: cannot read the committed offsets");
        return restore(stopping);
    }
    if (auto r = load(added, "loaded"); !r) {
        say_("kafka: loading new partitions failed: " + r.error() + "; rebuilding all");
        return restore(stopping);
    }
    return true;
}

// With local stores, partitions revoked are closed alone (their complaints forgotten by the
// command side, their stores kept on disk for a later return) and partitions gained are loaded
// alone: the partitions that stay are not reloaded. Input goes back to the committed offsets
// (the batch in hand was dropped). A failure falls back to a full restore.
bool kafka_processor::move_incrementally(const std::vector<std::int32_t>& added,
                                         const std::vector<std::int32_t>& removed,
                                         const std::atomic<bool>& stopping) {
    for (const auto p : removed) {
        const auto it = log_.partitions().find(p);
        if (it == log_.partitions().end()) continue;
        const auto snapshot = it->second->store()->summaries();
        if (!snapshot) {
            say_("kafka: dropping partition " + std::to_string(p) + ": " + snapshot.error() +
                 "; rebuilding all");
            return restore(stopping);
        }
        commands_.unload_summaries(*snapshot);
        log_.remove(p);
        positions_.erase(p);
        owned_ -= 1;
    }
    if (!removed.empty()) {
        std::string kept, dropped;
        for (const auto& [p, _] : log_.partitions())
            kept += (kept.empty() ? "" : ",") + std::to_string(p);
        for (const auto p : removed) dropped += (dropped.empty() ? "" : ",") + std::to_string(p);
        say_("kafka: own partitions [" + kept + "]; dropped [" + dropped + "]; " +
             std::to_string(deadlines_.size()) + " complaints with deadlines");
    }
    if (!added.empty()) return extend(added, stopping);
    if (!rewind()) {
        say_("kafka: rewind: cannot read the committed offsets");
        return restore(stopping);
    }
    return true;
}

// A new transactional producer; init_transactions fences any earlier incarnation and aborts what
// it left open. The coordinator may be busy (loading, aborting): keep trying until stopped.
bool kafka_processor::open_producer(const std::string& txn_id, const std::atomic<bool>& stopping) {
    producer_.reset();
    while (!stopping) {
        auto p = kafka::txn_producer::open(o_.client, txn_id);
        if (p) {
            producer_ = std::move(*p);
            return true;
        }
        say_("kafka: transactional producer: " + p.error() + "; retrying");
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return false;
}

kafka_processor::stop_reason kafka_processor::run(const std::atomic<bool>& stopping) {
    const auto txn_id = o_.group + "-" + o_.instance_id;
    if (!open_producer(txn_id, stopping)) return stop_reason::failed;

    auto conf = kafka::make_conf(o_.client);
    if (!conf) {
        say_("kafka: " + conf.error());
        return stop_reason::failed;
    }
    std::string err;
    const kafka::settings consumer_settings{{"group.id", o_.group},
                                            {"enable.auto.commit", "false"},
                                            {"enable.auto.offset.store", "false"},
                                            {"isolation.level", "read_committed"},
                                            {"auto.offset.reset", "earliest"},
                                            {"partition.assignment.strategy", "cooperative-sticky"},
                                            // Static membership (KIP-345): an instance that
                                            // restarts within the session timeout gets its
                                            // partitions back without a rebalance.
                                            {"group.instance.id", o_.instance_id},
                                            {"session.timeout.ms", "6000"},
                                            {"heartbeat.interval.ms", "1000"}};
    for (const auto& [k, v] : consumer_settings)
        if ((*conf)->set(k, v, err) != RdKafka::Conf::CONF_OK) {
            say_("kafka: " + err);
            return stop_reason::failed;
        }
    (*conf)->set("rebalance_cb", listener_.get(), err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
    if (!consumer_) {
        say_("kafka: consumer: " + err);
        return stop_reason::failed;
    }
    if (const auto code = consumer_->subscribe({o_.inbound_topic}); code != RdKafka::ERR_NO_ERROR) {
        say_("kafka: subscribe: " + RdKafka::err2str(code));
        return stop_reason::failed;
    }
    say_("kafka: instance " + o_.instance_id + " joined group " + o_.group + " (transactional id " +
         txn_id + ")");

    auto result = stop_reason::requested;
    // Records consumed but not yet in a committed transaction (a transaction that reached
    // max_txn_work leaves the rest of its batch here for the next one).
    std::vector<kafka::record> batch;
    while (!stopping) {
        const auto until = std::chrono::steady_clock::now() +
                           (batch.empty() ? o_.max_wait : std::chrono::milliseconds::zero());
        while (batch.size() < o_.max_batch && !listener_->changed) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            std::unique_ptr<RdKafka::Message> m(
                consumer_->consume(static_cast<int>(std::max<std::int64_t>(left.count(), 0))));
            if (m->err() == RdKafka::ERR_NO_ERROR) {
                batch.push_back(kafka::to_record(*m));
                continue;
            }
            if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF)
                say_("kafka: consume: " + m->errstr());
            if (left.count() <= 0 || m->err() == RdKafka::ERR__TIMED_OUT) break;
        }
        if (listener_->changed || !ready_) {
            // Records fetched under the old assignment are dropped; the new one starts at the
            // committed offsets. Partitions only gained are loaded alone; a revocation (or an
            // eager reassignment, or a state in doubt) rebuilds everything owned.
            batch.clear();
            const bool incremental = ready_ && !listener_->replaced && !o_.state_dir.empty();
            const bool only_gained = ready_ && !listener_->replaced && !listener_->added.empty() &&
                                     listener_->removed.empty();
            const auto added = listener_->added;
            const auto removed = listener_->removed;
            listener_->forget();
            if (!(incremental   ? move_incrementally(added, removed, stopping)
                  : only_gained ? extend(added, stopping)
                                : restore(stopping)))
                break;
            continue;
        }
        measure_lag();
        const auto outcome = process(batch);
        if (outcome.result == batch_result::committed) {
            batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(outcome.taken));
            continue;
        }
        batch.clear();
        if (outcome.result == batch_result::fenced) {
            metrics_.add("bounceback_kafka_fenced_total", {});
            say_("kafka: fenced: another instance has taken over; stopping");
            result = stop_reason::fenced;
            break;
        }
        if (outcome.result == batch_result::recreate && !open_producer(txn_id, stopping)) {
            result = stop_reason::failed;
            break;
        }
        // Abort and rewind: state back to what the topic holds, input back to the last commit.
        if (!restore(stopping)) break;
    }
    ready_ = false;
    consumer_->close();
    log_.clear();
    return result;
}

}  // namespace bb
