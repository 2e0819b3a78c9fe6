#include "services/deadline_scheduler.hpp"

#include <vector>

#include <boost/asio/post.hpp>

namespace bb {

namespace asio = boost::asio;

deadline_scheduler::deadline_scheduler(asio::io_context& ioc, clock_fn clock, tick_fn tick)
    : strand_(asio::make_strand(ioc)),
      timer_(strand_),
      clock_(std::move(clock)),
      tick_(std::move(tick)) {}

deadline_scheduler::~deadline_scheduler() {
    stop();
    ticker_.join();
}

std::size_t deadline_scheduler::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void deadline_scheduler::update(const complaint_id& id, std::optional<instant> next) {
    bool rearm = false;
    {
        std::lock_guard lock(mutex_);
        queue_.update(id, next);
        rearm = next && ready_ && !firing_ && (!armed_for_ || *next < *armed_for_);
    }
    if (rearm) asio::post(strand_, [this] { arm(); });
}

void deadline_scheduler::start() {
    ready_ = true;
    asio::post(strand_, [this] { arm(); });
}

void deadline_scheduler::stop() {
    if (stopped_.exchange(true)) return;
    asio::post(strand_, [this] { timer_.cancel(); });
}

void deadline_scheduler::arm() {
    if (stopped_) return;
    std::optional<instant> first;
    {
        std::lock_guard lock(mutex_);
        if (firing_) return;
        first = queue_.earliest();
        armed_for_ = first;
    }
    if (!first) return;
    timer_.expires_at(std::chrono::system_clock::time_point{first->time_since_epoch()});
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) fire();
    });
}

// Ticks every complaint that is due, on the ticker thread; then arms for the next one.
void deadline_scheduler::fire() {
    const auto now = clock_();
    std::vector<std::pair<complaint_id, instant>> due;
    {
        std::lock_guard lock(mutex_);
        due = queue_.due(now);
        firing_ = true;
        armed_for_.reset();
    }
    asio::post(ticker_, [this, due = std::move(due), now] {
        for (const auto& [id, at] : due) {
            if (stopped_) break;
            tick_(id, now);
        }
        {
            std::lock_guard lock(mutex_);
            firing_ = false;
            // A complaint whose tick failed keeps its old entry; wait a moment before retrying.
            for (const auto& [id, at] : due)
                if (const auto next = queue_.next_of(id); next && *next <= now)
                    queue_.update(id, now + std::chrono::seconds{1});
        }
        asio::post(strand_, [this] { arm(); });
    });
}

}  // namespace bb
