#include "infra/event_log.hpp"

#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"

namespace bb {

std::string request_digest(const append_request& r) {
    std::string bytes = r.stream;
    for (const auto& e : r.events) {
        bytes += '\n';
        bytes += e.type;
        bytes += '\n';
        bytes += e.data;
        bytes += '\n';
        bytes += iso8601::format_instant(e.time);
    }
    return sha256_hex(bytes);
}

void fold_page::add(std::int64_t position, std::string_view type, std::string_view data,
                    std::string_view idempotency_key, instant time, instant recorded_at) {
    const auto start = text_.size();
    text_.append(type).append(data).append(idempotency_key);
    entries_.push_back({position, time, recorded_at, start, start + type.size(),
                        start + type.size() + data.size(), text_.size()});
}

fold_record fold_page::operator[](std::size_t i) const {
    const auto& e = entries_[i];
    const std::string_view text = text_;
    return {e.position,
            text.substr(e.type, e.data - e.type),
            text.substr(e.data, e.key - e.data),
            text.substr(e.key, e.end - e.key),
            e.time,
            e.recorded_at};
}

std::expected<fold_page, std::error_code> event_log::read_fold_page(std::int64_t from_position,
                                                                    std::size_t max) {
    auto records = read_all(from_position, max);
    if (!records) return std::unexpected(records.error());
    fold_page page;
    for (const auto& r : *records) page.add(r);
    return page;
}

namespace {
class log_category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "event_log"; }
    std::string message(int ev) const override {
        switch (static_cast<log_errc>(ev)) {
            case log_errc::wrong_expected_version:
                return "the stream moved on since it was read";
            case log_errc::idempotency_conflict:
                return "the idempotency key was used before with other events";
            case log_errc::storage_failure:
                return "the event store could not write durably";
            case log_errc::closed:
                return "the event log is closed";
            case log_errc::corrupt_record:
                return "a stored record cannot be read";
        }
        return "unknown event log error";
    }
};
}  // namespace

const std::error_category& log_category() {
    static const log_category_impl instance;
    return instance;
}

std::error_code make_error_code(log_errc e) {
    return {static_cast<int>(e), log_category()};
}

}  // namespace bb
