#include "services/page_decoder.hpp"

#include <algorithm>

#include "services/read_side.hpp"

namespace bb {

unsigned page_decoder::default_decoders() {
    const auto cores = std::thread::hardware_concurrency();  // 0 when unknown
    return std::clamp(cores, 2u, 6u) - 2;
}

page_decoder::page_decoder(event_log& log, std::int64_t from, std::size_t page_size,
                           unsigned decoders)
    : page_size_(std::max<std::size_t>(page_size, 1)),
      ahead_(2 * std::max(decoders, 1u) + 2),
      decode_here_(decoders == 0) {
    threads_.emplace_back([this, &log, from] { read(log, from); });
    for (unsigned i = 0; i < decoders; ++i) threads_.emplace_back([this] { decode(); });
}

page_decoder::~page_decoder() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    threads_.clear();  // joins
}

void page_decoder::read(event_log& log, std::int64_t from) {
    for (std::int64_t next = from;;) {
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || read_count_ - taken_ < ahead_; });
            if (stopping_) return;
        }
        raw_page page;
        auto records = log.read_fold_page(next, page_size_);
        if (!records) {
            page.error = records.error().message();
            page.end = true;
        } else if (records->empty()) {
            page.end = true;
        } else {
            next = records->back().position + 1;
            page.records = std::move(*records);
        }
        const bool last = page.end;
        {
            std::lock_guard lock(mutex_);
            page.number = read_count_++;
            to_decode_.push_back(std::move(page));
        }
        changed_.notify_all();
        if (last) return;
    }
}

decoded_page page_decoder::decode(raw_page raw, codec::text_decoder& decoder) {
    decoded_page out{{}, std::move(raw.error), std::nullopt, raw.end};
    out.events.reserve(raw.records.size());
    for (std::size_t i = 0; i < raw.records.size(); ++i) {
        const auto r = raw.records[i];
        auto pe = to_projected(r, decoder);
        if (!pe) {
            out.error = pe.error();
            out.failed_recorded_at = r.recorded_at;
            out.end = true;
            break;
        }
        out.events.push_back(std::move(*pe));
    }
    return out;
}

void page_decoder::decode() {
    codec::text_decoder decoder;
    for (;;) {
        raw_page raw;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return stopping_ || !to_decode_.empty(); });
            if (stopping_) return;
            raw = std::move(to_decode_.front());
            to_decode_.pop_front();
        }
        const auto number = raw.number;
        auto out = decode(std::move(raw), decoder);
        {
            std::lock_guard lock(mutex_);
            decoded_.emplace(number, std::move(out));
        }
        changed_.notify_all();
    }
}

decoded_page page_decoder::next() {
    std::unique_lock lock(mutex_);
    if (finished_) return decoded_page{{}, std::nullopt, std::nullopt, true};
    decoded_page page;
    if (decode_here_) {
        changed_.wait(lock, [&] { return !to_decode_.empty(); });
        auto raw = std::move(to_decode_.front());
        to_decode_.pop_front();
        ++taken_;
        lock.unlock();
        changed_.notify_all();
        page = decode(std::move(raw), decoder_);
        lock.lock();
    } else {
        changed_.wait(lock, [&] { return decoded_.contains(taken_); });
        page = std::move(decoded_.extract(taken_).mapped());
        ++taken_;
    }
    if (page.end) {
        // A decode failure ends the stream early: what the reader read beyond it is dropped.
        finished_ = true;
        stopping_ = true;
    }
    lock.unlock();
    changed_.notify_all();
    return page;
}

}  // namespace bb
