#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "domain/named_type.hpp"
#include "domain/time.hpp"
#include "services/deadline_queue.hpp"

namespace bb {

// Keeps the next due instant of every complaint and issues Tick{now} when it arrives. It only
// issues ticks: what is due, and when it is stamped, the domain decides. Deadlines that passed
// while the service was down fire as soon as it starts.
class deadline_scheduler {
  public:
    using clock_fn = std::function<instant()>;
    // Ticks one complaint; blocking (a durable append), so it runs on the scheduler's own thread.
    using tick_fn = std::function<void(const complaint_id&, instant now)>;

    deadline_scheduler(boost::asio::io_context& ioc, clock_fn clock, tick_fn tick);
    ~deadline_scheduler();

    // The complaint's next deadline changed (nullopt: it has none any more). Thread-safe.
    void update(const complaint_id& id, std::optional<instant> next);
    void start();  // after the command service rebuilt its state
    void stop();
    bool ready() const { return ready_.load(); }
    std::size_t pending() const;

  private:
    void arm();
    void fire();

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::system_timer timer_;
    boost::asio::thread_pool ticker_{1};
    clock_fn clock_;
    tick_fn tick_;
    mutable std::mutex mutex_;
    deadline_queue queue_;
    std::optional<instant> armed_for_;
    std::atomic<bool> ready_{false};
    std::atomic<bool> stopped_{false};
    bool firing_ = false;
};

}  // namespace bb
