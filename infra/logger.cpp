#include "infra/logger.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "infra/iso8601.hpp"

namespace bb {

namespace {

// Lines go to a buffer that a thread of its own writes to stderr every 20 ms (at once when it
// passes 64 KiB): one write(2) per batch instead of one per line, since every request logs a
// line. A crash loses at most the last 20 ms of lines; a normal exit (including
// a return from main with an error) writes everything. Past 1 MiB unwritten (stderr blocked)
// the caller writes itself, so the buffer stays bounded.
class stderr_sink {
  public:
    stderr_sink() : writer_([this] { run(); }) {}
    ~stderr_sink() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        writer_.join();
        write_out(buffer_);
    }
    stderr_sink(const stderr_sink&) = delete;
    stderr_sink& operator=(const stderr_sink&) = delete;

    void add(const std::string& line) {
        std::unique_lock lock(mutex_);
        buffer_ += line;
        if (buffer_.size() >= hard_limit) {
            std::string out;
            out.swap(buffer_);
            write_out(out);  // under the lock: lines stay in order
            return;
        }
        if (buffer_.size() >= soft_limit) wake_.notify_one();
    }

  private:
    static constexpr std::size_t soft_limit = 64 * 1024;
    static constexpr std::size_t hard_limit = 1024 * 1024;

    static void write_out(const std::string& text) {
        if (!text.empty()) std::fwrite(text.data(), 1, text.size(), stderr);
    }

    void run() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, std::chrono::milliseconds(20));
            if (buffer_.empty()) continue;
            std::string out;
            out.swap(buffer_);
            // Written under the lock too: a caller past the hard limit must not overtake it.
            write_out(out);
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    bool stopping_ = false;
    std::thread writer_;
};

stderr_sink& sink() {
    static stderr_sink s;
    return s;
}

}  // namespace

void log_line(const std::string& line) {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto secs = std::chrono::floor<std::chrono::seconds>(now);
    const auto millis = (now - secs).count();
    auto out = iso8601::format_instant(secs);  // ...:SSZ
    out.pop_back();
    out += '.';
    out += static_cast<char>('0' + millis / 100);
    out += static_cast<char>('0' + millis / 10 % 10);
    out += static_cast<char>('0' + millis % 10);
    out += "Z ";
    out += line;
    out += '\n';
    sink().add(out);
}

}  // namespace bb
