#include "handlers/ingress/outcome_index.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace bb {

namespace {

std::optional<std::pair<std::size_t, std::size_t>> parse_batch(std::string_view s) {
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::size_t i = 0, n = 0;
    const auto a = std::from_chars(s.data(), s.data() + slash, i);
    const auto b = std::from_chars(s.data() + slash + 1, s.data() + s.size(), n);
    if (a.ec != std::errc{} || b.ec != std::errc{} || b.ptr != s.data() + s.size() || i >= n)
        return std::nullopt;
    return std::pair{i, n};
}

}  // namespace

outcome_index::outcome_index(kafka::settings client, std::string topic, std::chrono::seconds window,
                             std::function<void(const std::string&)> log)
    : client_(std::move(client)), topic_(std::move(topic)), window_(window), log_(std::move(log)) {}

outcome_index::~outcome_index() {
    stop();
}

std::expected<void, std::string> outcome_index::start() {
    auto s = client_;
    s.insert(s.end(), {{"group.id", "bounceback-outcomes"},  // assign only: never joins
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       {"isolation.level", "read_committed"}});
    auto c = kafka::make_consumer(s);
    if (!c) return std::unexpected(c.error());
    consumer_ = std::move(*c);
    const auto n = kafka::partition_count(*consumer_, topic_);
    if (!n) return std::unexpected(n.error());
    // From `window` ago: older outcomes would be dropped at once.
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                           (std::chrono::system_clock::now() - window_).time_since_epoch())
                           .count();
    std::vector<RdKafka::TopicPartition*> parts;
    // A topic `serve` has just created may not have its leaders yet: asked again for a while.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    for (;;) {
        RdKafka::TopicPartition::destroy(parts);
        parts.clear();
        for (int p = 0; p < *n; ++p)
            parts.push_back(RdKafka::TopicPartition::create(topic_, p, since));
        const auto code = consumer_->offsetsForTimes(parts, 10000);
        if (code == RdKafka::ERR_NO_ERROR) break;
        const bool transient = code == RdKafka::ERR_NOT_LEADER_FOR_PARTITION ||
                               code == RdKafka::ERR_LEADER_NOT_AVAILABLE ||
                               code == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART ||
                               code == RdKafka::ERR__TIMED_OUT;
        if (!transient || std::chrono::steady_clock::now() > until) {
            RdKafka::TopicPartition::destroy(parts);
            return std::unexpected("offsets of " + topic_ + ": " + RdKafka::err2str(code));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
    }
    for (auto* tp : parts)
        if (tp->offset() < 0) tp->set_offset(RdKafka::Topic::OFFSET_END);  // nothing that recent
    const auto code = consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + topic_ + ": " + RdKafka::err2str(code));
    thread_ = std::thread([this] { run(); });
    return {};
}

void outcome_index::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (consumer_) consumer_->close();
    consumer_.reset();
}

void outcome_index::run() {
    while (!stopping_) {
        std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
        if (m->err() == RdKafka::ERR_NO_ERROR) {
            add(kafka::to_record(*m));
        } else if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
            log_("outcomes: " + m->errstr());
        }
        const auto cutoff = std::chrono::steady_clock::now() - window_;
        std::lock_guard lock(mutex_);
        while (!order_.empty() && order_.front().first < cutoff) {
            const auto it = entries_.find(order_.front().second);
            if (it != entries_.end() && it->second.seen < cutoff) entries_.erase(it);
            order_.pop_front();
        }
    }
}

void outcome_index::add(const kafka::record& r) {
    const auto j = nlohmann::json::parse(r.value, nullptr, false);
    if (!j.is_object() || !j.contains("correlation") || !j["correlation"].is_string() ||
        !j.contains("batch") || !j["batch"].is_string())
        return log_("outcomes: a record that is not an outcome at " + topic_ + "/" +
                    std::to_string(r.partition) + "@" + std::to_string(r.offset));
    const auto batch = parse_batch(j["batch"].get<std::string>());
    if (!batch) return;
    decided_outcome o;
    o.index = batch->first;
    o.of = batch->second;
    o.id = j.value("id", "");
    o.type = j.value("type", "");
    const auto result = j.value("result", "");
    o.result = result == "accepted"   ? command_outcome::kind::applied
               : result == "rejected" ? command_outcome::kind::rejected
                                      : command_outcome::kind::unchanged;
    o.reason = j.value("reason", "");
    o.detail = j.value("detail", "");
    const auto correlation = j["correlation"].get<std::string>();
    {
        std::lock_guard lock(mutex_);
        auto& e = entries_[correlation];
        e.seen = std::chrono::steady_clock::now();
        e.of = o.of;
        // A delivery sent again is decided again (unchanged): the first decision is the answer.
        e.events.try_emplace(o.index, std::move(o));
        order_.emplace_back(e.seen, correlation);
    }
    arrived_.notify_all();
}

std::vector<decided_outcome> outcome_index::find(const std::string& correlation, std::size_t count,
                                                 std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    const auto complete = [&] {
        const auto it = entries_.find(correlation);
        if (it == entries_.end()) return false;
        const auto want = count ? count : it->second.of;
        return it->second.events.size() >= want;
    };
    if (wait.count() > 0) arrived_.wait_for(lock, wait, [&] { return stopping_ || complete(); });
    std::vector<decided_outcome> out;
    if (const auto it = entries_.find(correlation); it != entries_.end())
        for (const auto& [_, o] : it->second.events) out.push_back(o);
    return out;
}

std::size_t outcome_index::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace bb
