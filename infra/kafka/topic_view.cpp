#include "infra/kafka/topic_view.hpp"

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/kafka/partition_log.hpp"

namespace bb::kafka {

topic_view::topic_view(settings client, std::string topic)
    : client_(std::move(client)), topic_(std::move(topic)) {}

topic_view::~topic_view() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (consumer_) consumer_->close();
}

std::expected<void, std::string> topic_view::start() {
    auto s = client_;
    s.insert(s.end(), {{"group.id", "bounceback-view"},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       {"isolation.level", "read_committed"}});
    auto c = make_consumer(s);
    if (!c) return std::unexpected(c.error());
    consumer_ = std::move(*c);
    const auto n = partition_count(*consumer_, topic_);
    if (!n) return std::unexpected(n.error());
    std::vector<RdKafka::TopicPartition*> parts;
    for (int p = 0; p < *n; ++p)
        parts.push_back(
            RdKafka::TopicPartition::create(topic_, p, RdKafka::Topic::OFFSET_BEGINNING));
    const auto code = consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + topic_ + ": " + RdKafka::err2str(code));
    thread_ = std::thread([this] { run(); });
    return {};
}

void topic_view::run() {
    codec::cloudevent_reader reader;
    while (!stop_) {
        std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
        if (m->err() != RdKafka::ERR_NO_ERROR) continue;  // timeouts, EOF, transient errors
        auto r = reader.read({static_cast<const char*>(m->payload()), m->len()});
        if (!r) continue;
        records_.add(std::move(*r));
    }
}

std::size_t topic_view::size() const {
    return records_.size();
}

std::expected<append_result, std::error_code> topic_view::append(append_request) {
    return std::unexpected(make_error_code(log_errc::closed));
}

std::expected<std::vector<event_record>, std::error_code> topic_view::read_stream(
    const std::string& stream, std::int64_t from_version) {
    return records_.read_stream(stream, from_version);
}

std::expected<std::vector<event_record>, std::error_code> topic_view::read_all(std::int64_t,
                                                                               std::size_t) {
    return std::vector<event_record>{};
}

std::int64_t topic_view::head() {
    return static_cast<std::int64_t>(size());
}

std::unique_ptr<subscription> topic_view::subscribe(std::int64_t,
                                                    std::function<void(const event_record&)> f) {
    return records_.follow(0, std::move(f));
}

std::expected<std::vector<chain_report>, std::string> verify_topic(const settings& client,
                                                                   const std::string& topic) {
    auto probe = make_producer(client);
    if (!probe) return std::unexpected(probe.error());
    const auto n = partition_count(**probe, topic);
    if (!n) return std::unexpected(n.error());
    std::vector<chain_report> out;
    for (int p = 0; p < *n; ++p) {
        auto log = partition_log::open(nullptr, client, topic, p);
        if (!log) return std::unexpected(log.error());
        auto report = verify_chain(**log);
        if (!report) return std::unexpected(report.error().message());
        out.push_back(std::move(*report));
    }
    return out;
}

}  // namespace bb::kafka
