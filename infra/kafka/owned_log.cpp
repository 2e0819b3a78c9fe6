#include "infra/kafka/owned_log.hpp"

namespace bb::kafka {

void owned_log::add(std::unique_ptr<partition_log> log) {
    found_.reset();
    const auto p = log->partition();
    logs_[p] = std::move(log);
}

// A stream is in one partition only. The current record's partition first: a customer's
// records share a partition, so that is nearly always where their complaints' streams are.
owned_log::found owned_log::find(const std::string& stream) {
    if (found_ && found_->stream == stream) return *found_;
    found_ = found{stream, nullptr, 0};
    const auto current = logs_.find(current_);
    if (current != logs_.end())
        if (const auto n = current->second->stream_size(stream); n > 0)
            return *(found_ = found{stream, current->second.get(), n});
    for (const auto& [p, log] : logs_)
        if (p != current_)
            if (const auto n = log->stream_size(stream); n > 0)
                return *(found_ = found{stream, log.get(), n});
    return *found_;
}

std::expected<append_result, std::error_code> owned_log::append(append_request request) {
    auto where = find(request.stream);
    found_.reset();  // the stream's size changes (or an aborted append leaves it in doubt)
    if (!where.log) {
        const auto it = logs_.find(current_);
        // Not ours: the partition was revoked under us. Nothing is written.
        if (it == logs_.end()) return std::unexpected(make_error_code(log_errc::closed));
        where.log = it->second.get();
    }
    return where.log->append(std::move(request), where.size);
}

std::expected<std::vector<event_record>, std::error_code> owned_log::read_stream(
    const std::string& stream, std::int64_t from_version) {
    if (auto* log = find(stream).log) return log->read_stream(stream, from_version);
    return std::vector<event_record>{};
}

std::expected<std::vector<event_record>, std::error_code> owned_log::read_all(std::int64_t,
                                                                              std::size_t) {
    return std::unexpected(make_error_code(log_errc::closed));
}

std::unique_ptr<subscription> owned_log::subscribe(std::int64_t,
                                                   std::function<void(const event_record&)>) {
    return std::make_unique<subscription>();
}

}  // namespace bb::kafka
