#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "infra/codec/event_codec.hpp"
#include "infra/event_log.hpp"
#include "projections/read_model.hpp"

namespace bb {

// The events of one page of the log, decoded for the projections, in log order.
struct decoded_page {
    std::vector<projection::projected_event> events;
    // Set on the page where reading or decoding failed: `events` are those before the failure.
    std::optional<std::string> error;
    std::optional<instant> failed_recorded_at;  // of the event that could not be decoded
    bool end = false;  // no more pages: the log's end (as of reading) or the failure above
};

// Reads the log from a position on one thread and decodes its pages on `decoders` others, a few
// pages ahead of the caller, who takes them in log order with next(). Replay folds into one model
// and so cannot be split, but reading and decoding (most of its time) can.
// With no decoder threads next() decodes on the caller's thread: on two cores that balances the
// reader against decode + fold, and the decoded events never cross threads.
// Destroying it stops and joins the threads, also before the last page was taken.
class page_decoder {
  public:
    page_decoder(event_log& log, std::int64_t from, std::size_t page_size = 4096,
                 unsigned decoders = default_decoders());
    ~page_decoder();
    page_decoder(const page_decoder&) = delete;
    page_decoder& operator=(const page_decoder&) = delete;

    // Blocks until the next page in log order is decoded. After a page with `end`, returns
    // further empty `end` pages.
    decoded_page next();

    // Two fewer than the cores (one reads, the caller decodes what is left and folds): none on
    // two cores, at most four (the single reader thread limits what more decoders could gain).
    static unsigned default_decoders();

  private:
    struct raw_page {
        std::uint64_t number = 0;
        fold_page records;
        std::optional<std::string> error;
        bool end = false;
    };
    void read(event_log& log, std::int64_t from);
    void decode();
    static decoded_page decode(raw_page raw, codec::text_decoder& decoder);

    std::size_t page_size_;
    std::size_t ahead_;  // pages read but not yet taken, at most
    bool decode_here_;   // no decoder threads: next() decodes
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    std::uint64_t read_count_ = 0;  // pages the reader has produced
    std::uint64_t taken_ = 0;       // pages next() has returned
    std::deque<raw_page> to_decode_;
    std::map<std::uint64_t, decoded_page> decoded_;
    bool finished_ = false;              // next() returned the page with `end`
    codec::text_decoder decoder_;        // next()'s, when it decodes
    std::vector<std::jthread> threads_;  // last: started once everything above exists
};

}  // namespace bb
