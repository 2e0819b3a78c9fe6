#include "services/kafka_webhook_dispatcher.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <random>
#include <set>
#include <thread>

#include <librdkafka/rdkafkacpp.h>

#include "infra/codec/cloudevent_codec.hpp"
#include "services/helpdesk_update.hpp"
#include "services/webhook_dispatcher.hpp"

namespace bb {

namespace {

// librdkafka's incremental calls return an error object the caller owns (nullptr: success).
bool succeeded(RdKafka::Error* e) {
    const std::unique_ptr<RdKafka::Error> owned(e);
    return owned == nullptr;
}

// Records fetched ahead of the one being delivered: small, since a paused subscription holds them.
constexpr const char* prefetch_kbytes = "1024";
constexpr std::size_t take_at_once = 256;

}  // namespace

// One subscription's consumer and its books. Everything but `positions` is touched only by the
// worker's thread (librdkafka calls rebalance_cb from inside consume(), on that thread).
struct kafka_webhook_dispatcher::worker final : RdKafka::RebalanceCb {
    subscription_config cfg;
    std::string topic;
    std::function<void(const std::string&)> say;
    std::mt19937_64 rng{std::random_device{}()};
    codec::cloudevent_reader reader;
    std::thread thread;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer;
    std::deque<kafka::record> fetched;          // consumed, not handled yet (offset order)
    std::map<std::int32_t, std::int64_t> done;  // per owned partition: next offset, handled
    std::set<std::int32_t> dirty;               // done moved since the last commit
    // Partitions taken away before what was handled could be committed (the group moved on:
    // the commit was refused, or the assignment was lost): where this instance got to. When one
    // comes back it resumes from here if the group's committed offset is behind it, instead of
    // sending those events again.
    std::map<std::int32_t, std::int64_t> uncommitted;
    std::int32_t in_flight = -1;             // the partition of the delivery under way
    std::atomic<bool> in_flight_now{false};  // in_flight >= 0, for the metrics' thread
    bool in_flight_revoked = false;
    bool retrying = false;       // a delivery waits for its next attempt
    bool paused = false;         // the assignment is paused (retrying, or enough fetched ahead)
    std::string commit_refused;  // the last commit's refusal, said once

    // Events of the owned partitions not handled yet, for bounceback_webhook_queue_depth;
    // refreshed about once a second from the consumer's cached high watermarks.
    std::atomic<std::int64_t> behind{0};
    std::chrono::steady_clock::time_point measured{};
    // When the event at the subscription's head was recorded (Unix ms): the one being delivered,
    // or the last one handled; for bounceback_webhook_lag_seconds. 0: none handled yet.
    std::atomic<std::int64_t> head_recorded_ms{0};

    mutable std::mutex positions_mutex;
    std::map<std::int32_t, std::int64_t> positions;  // committed next offsets, for the API

    void set_position(std::int32_t p, std::int64_t next) {
        std::lock_guard lock(positions_mutex);
        positions[p] = next;
    }

    // Commits what was handled (all partitions, or only `only`).
    void commit(const std::set<std::int32_t>* only = nullptr) {
        if (!consumer || dirty.empty()) return;
        std::vector<RdKafka::TopicPartition*> offsets;
        for (const auto p : dirty)
            if (!only || only->contains(p))
                offsets.push_back(RdKafka::TopicPartition::create(topic, p, done[p]));
        if (offsets.empty()) return;
        const auto code = consumer->commitSync(offsets);
        // A refusal is not fatal: the next commit carries these offsets too, and a crash before
        // it sends those events again (at-least-once). Said once per run of refusals.
        std::string refused;
        if (code != RdKafka::ERR_NO_ERROR) refused = RdKafka::err2str(code);
        for (const auto* tp : offsets) {
            if (code != RdKafka::ERR_NO_ERROR) break;
            if (tp->err() != RdKafka::ERR_NO_ERROR) {
                refused = "partition " + std::to_string(tp->partition()) + ": " +
                          RdKafka::err2str(tp->err());
                continue;
            }
            dirty.erase(tp->partition());
            set_position(tp->partition(), tp->offset());
        }
        if (!refused.empty() && refused != commit_refused)
            say("webhook " + cfg.id + ": commit refused (" + refused + "); kept for the next");
        commit_refused = refused;
        RdKafka::TopicPartition::destroy(offsets);
    }

    void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                      std::vector<RdKafka::TopicPartition*>& parts) override {
        const bool assigning = err == RdKafka::ERR__ASSIGN_PARTITIONS;
        const bool cooperative = c->rebalance_protocol() == "COOPERATIVE";
        if (!parts.empty()) {
            std::string names;
            for (const auto* tp : parts)
                names += (names.empty() ? "" : ",") + std::to_string(tp->partition());
            say("webhook " + cfg.id + ": partitions " + (assigning ? "assigned [" : "revoked [") +
                names + "]" + (c->assignment_lost() ? " (lost)" : ""));
        }
        if (!assigning) {
            // What goes away: commit what was finished (unless the group already gave it to
            // someone else), forget what was fetched, abandon a delivery under way.
            std::set<std::int32_t> going;
            if (cooperative)
                for (const auto* tp : parts) going.insert(tp->partition());
            else
                for (const auto& [p, _] : done) going.insert(p);
            if (!c->assignment_lost()) commit(&going);
            for (const auto p : going)
                if (dirty.contains(p)) uncommitted[p] = done[p];
            std::erase_if(fetched,
                          [&](const kafka::record& r) { return going.contains(r.partition); });
            for (const auto p : going) {
                done.erase(p);
                dirty.erase(p);
                if (p == in_flight) in_flight_revoked = true;
            }
            {
                std::lock_guard lock(positions_mutex);
                for (const auto p : going) positions.erase(p);
            }
            if (!cooperative) {
                c->unassign();
                fetched.clear();
                for (const auto p : dirty) uncommitted[p] = done[p];
                done.clear();
                dirty.clear();
                if (in_flight >= 0) in_flight_revoked = true;
                std::lock_guard lock(positions_mutex);
                positions.clear();
            } else {
                succeeded(c->incremental_unassign(parts));
            }
            return;
        }
        std::vector<RdKafka::TopicPartition*> asked;
        for (const auto* tp : parts)
            asked.push_back(RdKafka::TopicPartition::create(topic, tp->partition()));
        const bool known = !parts.empty() && c->committed(asked, 5000) == RdKafka::ERR_NO_ERROR;
        for (std::size_t i = 0; known && i < asked.size(); ++i) {
            const auto p = asked[i]->partition();
            auto committed = std::max<std::int64_t>(asked[i]->offset(), 0);
            // Back to this instance with events it handled but could not commit: resume after
            // them (and commit that) unless someone else got further meanwhile.
            if (const auto u = uncommitted.find(p); u != uncommitted.end()) {
                if (u->second > committed) {
                    parts[i]->set_offset(u->second);
                    done[p] = committed = u->second;
                    dirty.insert(p);
                }
                uncommitted.erase(u);
            }
            set_position(p, committed);
        }
        RdKafka::TopicPartition::destroy(asked);
        if (cooperative)
            succeeded(c->incremental_assign(parts));
        else
            c->assign(parts);
        if (parts.empty()) return;
        // A delivery waiting for its next attempt holds every partition of the subscription.
        if (paused) c->pause(parts);
    }

    // Nothing fetched is waiting: the consumer's positions are past every record handled, and
    // past the transaction markers that follow them (which take offsets but are never
    // returned). Committing them leaves the group's lag at 0 once everything went out.
    void note_positions() {
        if (!consumer || !fetched.empty()) return;
        auto parts = assignment();
        if (consumer->position(parts) == RdKafka::ERR_NO_ERROR)
            for (const auto* tp : parts) {
                const auto it = done.find(tp->partition());
                if (tp->offset() >= 0 && (it == done.end() || tp->offset() > it->second)) {
                    done[tp->partition()] = tp->offset();
                    dirty.insert(tp->partition());
                }
            }
        RdKafka::TopicPartition::destroy(parts);
    }

    // Serves the consumer between deliveries: rebalances are handled as they come (a member
    // that leaves them waiting for seconds is dropped from the group and its commits refused),
    // and what was fetched is taken, in order. Fetching pauses while a delivery waits for its
    // next attempt or enough is held here already.
    void pump() {
        if (!consumer) return;
        const bool hold = retrying || fetched.size() >= take_at_once;
        if (hold != paused) {
            auto parts = assignment();
            if (hold)
                consumer->pause(parts);
            else
                consumer->resume(parts);
            RdKafka::TopicPartition::destroy(parts);
            paused = hold;
        }
        for (std::size_t i = 0; i < take_at_once; ++i) {
            std::unique_ptr<RdKafka::Message> m(consumer->consume(0));
            if (m->err() != RdKafka::ERR_NO_ERROR) break;
            fetched.push_back(kafka::to_record(*m));
        }
    }

    void measure() {
        const auto now = std::chrono::steady_clock::now();
        if (!consumer || now - measured < std::chrono::seconds{1}) return;
        measured = now;
        auto parts = assignment();
        std::int64_t total = 0;
        for (const auto* tp : parts) {
            std::int64_t low = 0, high = 0;
            if (consumer->get_watermark_offsets(topic, tp->partition(), &low, &high) !=
                    RdKafka::ERR_NO_ERROR ||
                high < 0)
                continue;
            auto next = low;
            if (const auto it = done.find(tp->partition()); it != done.end()) {
                next = it->second;
            } else {
                std::lock_guard lock(positions_mutex);
                if (const auto p = positions.find(tp->partition()); p != positions.end())
                    next = std::max(next, p->second);
            }
            total += std::max<std::int64_t>(0, high - next);
        }
        RdKafka::TopicPartition::destroy(parts);
        behind = total;
    }

    // Every partition assigned now, to pause or resume.
    std::vector<RdKafka::TopicPartition*> assignment() {
        std::vector<RdKafka::TopicPartition*> parts;
        if (consumer) consumer->assignment(parts);
        return parts;
    }
};

kafka_webhook_dispatcher::kafka_webhook_dispatcher(deps d) : d_(std::move(d)) {
    describe_outbound_metrics(d_.m);
    for (const auto& s : d_.subscriptions) {
        auto w = std::make_unique<worker>();
        w->cfg = s;
        w->topic = d_.events_topic;
        w->say = d_.log_line;
        workers_.push_back(std::move(w));
    }
    d_.m.gauge("bounceback_webhook_queue_depth",
               "Events not yet handled by a subscription (Kafka mode: of the partitions this "
               "instance delivers; sum over the instances for the cluster)",
               [this] {
                   std::vector<std::pair<metric_labels, double>> out;
                   for (const auto& w : workers_)
                       out.push_back(
                           {{{"subscription", w->cfg.id}}, static_cast<double>(w->behind.load())});
                   return out;
               });
    d_.m.gauge("bounceback_webhook_lag_seconds",
               "How long ago the event at a subscription's head was recorded, while events wait "
               "(Kafka mode: the event being delivered, or the last handled; 0 when caught up)",
               [this] {
                   std::vector<std::pair<metric_labels, double>> out;
                   const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        d_.clock().time_since_epoch())
                                        .count();
                   for (const auto& w : workers_) {
                       const auto head = w->head_recorded_ms.load();
                       const bool waiting = w->behind.load() > 0 || w->in_flight_now.load();
                       out.push_back(
                           {{{"subscription", w->cfg.id}},
                            waiting && head > 0
                                ? static_cast<double>(std::max<std::int64_t>(now - head, 0)) / 1000
                                : 0.0});
                   }
                   return out;
               });
}

kafka_webhook_dispatcher::~kafka_webhook_dispatcher() {
    stop();
}

void kafka_webhook_dispatcher::start() {
    for (auto& w : workers_) w->thread = std::thread([this, &w] { run(*w); });
}

void kafka_webhook_dispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

void kafka_webhook_dispatcher::notify() {
    {
        std::lock_guard lock(mutex_);
        ++generation_;
    }
    wake_.notify_all();
}

std::map<std::int32_t, std::int64_t> kafka_webhook_dispatcher::partitions(
    const std::string& subscription) const {
    for (const auto& w : workers_)
        if (w->cfg.id == subscription) {
            std::lock_guard lock(w->positions_mutex);
            return w->positions;
        }
    return {};
}

bool kafka_webhook_dispatcher::idle_wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    const auto seen = generation_;
    wake_.wait_for(lock, d, [&] { return stopping_.load() || generation_ != seen; });
    return !stopping_;
}

bool kafka_webhook_dispatcher::join(worker& w) {
    auto s = d_.client;
    s.insert(s.end(), {{"group.id", group_of(d_.group, w.cfg.id)},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       // Only events of committed transactions: an aborted batch never happened.
                       {"isolation.level", "read_committed"},
                       // A new subscription starts at the beginning of the log, as in the
                       // embedded shape (its checkpoint starts at 0).
                       {"auto.offset.reset", "earliest"},
                       {"partition.assignment.strategy", "cooperative-sticky"},
                       {"group.instance.id", d_.instance_id},
                       {"session.timeout.ms", "6000"},
                       {"heartbeat.interval.ms", "1000"},
                       {"queued.max.messages.kbytes", prefetch_kbytes}});
    auto conf = kafka::make_conf(s);
    std::string err;
    if (!conf) {
        d_.log_line("webhook " + w.cfg.id + ": " + conf.error());
        return false;
    }
    (*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(&w), err);
    w.consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
    if (!w.consumer) {
        d_.log_line("webhook " + w.cfg.id + ": consumer: " + err);
        return false;
    }
    if (const auto code = w.consumer->subscribe({d_.events_topic}); code != RdKafka::ERR_NO_ERROR) {
        d_.log_line("webhook " + w.cfg.id + ": subscribe: " + RdKafka::err2str(code));
        w.consumer.reset();
        return false;
    }
    d_.log_line("webhook " + w.cfg.id + ": joined group " + group_of(d_.group, w.cfg.id));
    return true;
}

void kafka_webhook_dispatcher::leave(worker& w) {
    if (!w.consumer) return;
    w.commit();
    // close() runs the final revocation through rebalance_cb, which commits nothing more.
    w.consumer->close();
    w.consumer.reset();
    w.fetched.clear();
    w.done.clear();
    w.dirty.clear();
    w.paused = w.retrying = false;
    w.behind = 0;  // delivers no partition now
    std::lock_guard lock(w.positions_mutex);
    w.positions.clear();
}

// Between two attempts of one delivery: the consumer keeps polling (with the partitions paused)
// so the group keeps this member and rebalances are served. False to abandon the delivery.
bool kafka_webhook_dispatcher::wait_polling(worker& w, std::chrono::milliseconds d) {
    const auto go_on = [&] { return !stopping_ && !w.in_flight_revoked; };
    if (d.count() <= 0 || !w.consumer) return go_on();
    w.retrying = true;
    const auto until = std::chrono::steady_clock::now() + d;
    while (go_on() && std::chrono::steady_clock::now() < until) {
        w.pump();
        if (!w.consumer || w.in_flight_revoked) break;
        // Paused: this serves the group (heartbeats, rebalances) and returns no records, except
        // ones fetched before the pause took hold, kept in order for after this delivery.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        std::unique_ptr<RdKafka::Message> m(
            w.consumer->consume(static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 50))));
        if (m->err() == RdKafka::ERR_NO_ERROR) w.fetched.push_back(kafka::to_record(*m));
    }
    return go_on();
}

void kafka_webhook_dispatcher::handle(worker& w, const kafka::record& rec) {
    const auto finished = [&] {
        w.done[rec.partition] = rec.offset + 1;
        w.dirty.insert(rec.partition);
    };
    auto e = w.reader.read(rec.value);
    if (!e) {
        // The read side refuses such a record as well; recorded as failed, so it is visible, and
        // passed so it does not hold the partition for ever.
        outbound::delivery_record r;
        r.subscription = w.cfg.id;
        r.position = rec.offset;
        r.partition = rec.partition;
        r.webhook_id = rec.key + "@" + std::to_string(rec.offset);
        r.event_type = "unreadable";
        r.stream = rec.key;
        r.status = outbound::delivery_status::failed;
        r.last_error = "not an event record: " + e.error();
        r.created_at = r.updated_at = d_.clock();
        d_.store.record(r);
        d_.log_line("webhook " + w.cfg.id + ": " + r.last_error);
        finished();
        return;
    }
    w.head_recorded_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(e->recorded_at.time_since_epoch())
            .count();
    if (!wanted(w.cfg, *e)) {
        finished();
        return;
    }
    outbound::delivery_record r;
    r.subscription = w.cfg.id;
    r.position = rec.offset;
    r.partition = rec.partition;
    r.webhook_id = e->stream + "-v" + std::to_string(e->version);
    r.event_type = e->type;
    r.stream = e->stream;
    // Delivered already, by this instance or by the partition's previous owner whose checkpoint
    // did not get past it (a commit refused in a rebalance): not sent twice.
    if (d_.store.delivered(w.cfg.id, r.webhook_id)) {
        d_.m.add("bounceback_webhook_deliveries_total",
                 {{"subscription", w.cfg.id}, {"outcome", "already_delivered"}});
        finished();
        w.commit();
        return;
    }
    r.created_at = r.updated_at = d_.clock();
    w.in_flight = rec.partition;
    w.in_flight_now = true;
    w.in_flight_revoked = false;
    const delivery_target t{w.cfg, d_.schedule, d_.m, d_.clock, d_.log_line, w.rng};
    const bool disable =
        deliver_event(t, r, *e, [&](std::chrono::milliseconds d) { return wait_polling(w, d); });
    w.in_flight = -1;
    w.in_flight_now = false;
    w.retrying = false;
    // Stopped, or the partition moved mid-retry: nothing recorded, the owner sends it again.
    if (r.status == outbound::delivery_status::pending) return;
    d_.store.record(r);
    finished();
    w.commit();
    if (disable) {
        d_.store.disable(w.cfg.id, r.last_error);
        leave(w);
    }
}

void kafka_webhook_dispatcher::redeliver(worker& w, outbound::delivery_record r) {
    const auto fail = [&](const std::string& why) {
        r.status = outbound::delivery_status::failed;
        r.last_error = "redelivery: " + why;
        r.updated_at = d_.clock();
        d_.store.finish_redelivery(r);
        d_.log_line("webhook " + w.cfg.id + " " + r.webhook_id + ": " + r.last_error);
    };
    if (r.partition < 0) return fail("recorded by the embedded shape, not in this Kafka topic");
    const auto rec = kafka::read_at(d_.client, d_.events_topic, r.partition, r.position);
    if (!rec) return fail(rec.error());
    const auto e = w.reader.read(rec->value);
    if (!e) return fail("not an event record: " + e.error());
    r.status = outbound::delivery_status::pending;
    // Not tied to the partition's ownership: an admin asked this instance for it.
    w.in_flight = -1;
    w.in_flight_revoked = false;
    const delivery_target t{w.cfg, d_.schedule, d_.m, d_.clock, d_.log_line, w.rng};
    const bool disable = deliver_event(t, r, *e, [&](std::chrono::milliseconds d) {
        return w.consumer ? wait_polling(w, d) : idle_wait(d);
    });
    w.retrying = false;
    if (r.status == outbound::delivery_status::pending) return;  // stopping: asked again next start
    d_.store.finish_redelivery(r);
    if (disable) {
        d_.store.disable(w.cfg.id, r.last_error);
        leave(w);
    }
}

void kafka_webhook_dispatcher::run(worker& w) {
    const auto& id = w.cfg.id;
    while (!stopping_) {
        try {
            if (d_.store.state(id).disabled) {
                leave(w);
                idle_wait(std::chrono::seconds{1});
                continue;
            }
            if (!w.consumer && !join(w)) {
                idle_wait(std::chrono::seconds{1});
                continue;
            }
            if (auto again = d_.store.next_redelivery(id)) {
                redeliver(w, std::move(*again));
                continue;
            }
            if (w.fetched.empty()) {
                std::unique_ptr<RdKafka::Message> m(w.consumer->consume(200));
                if (m->err() == RdKafka::ERR_NO_ERROR) {
                    w.fetched.push_back(kafka::to_record(*m));
                } else if (m->err() != RdKafka::ERR__TIMED_OUT &&
                           m->err() != RdKafka::ERR__PARTITION_EOF) {
                    d_.log_line("webhook " + id + ": " + m->errstr());
                }
                w.pump();
                if (w.fetched.empty()) {
                    // The events filtered out since the last delivery, and transaction markers.
                    w.note_positions();
                    w.commit();
                    w.measure();
                    continue;
                }
            }
            // One record, then the consumer is served again (a revocation drops the records of
            // the partitions it takes; a 410 leaves the group).
            const auto rec = std::move(w.fetched.front());
            w.fetched.pop_front();
            handle(w, rec);
            w.pump();
            w.measure();
        } catch (const std::exception& ex) {
            d_.log_line("webhook " + id + ": " + ex.what() + "; retrying in 1 s");
            idle_wait(std::chrono::seconds{1});
        }
    }
    leave(w);
}

}  // namespace bb
