#include "infra/kafka/record_index.hpp"

#include <thread>

namespace bb::kafka {

class record_index::follower final : public subscription {
  public:
    follower(record_index& index, std::size_t first, std::function<void(const event_record&)> f)
        : index_(index), next_(first), f_(std::move(f)), thread_([this] { run(); }) {}
    ~follower() override {
        {
            std::lock_guard lock(index_.mutex_);
            stop_ = true;
        }
        index_.added_.notify_all();
        thread_.join();
    }

  private:
    void run() {
        std::vector<const event_record*> batch;
        for (;;) {
            batch.clear();
            {
                std::unique_lock lock(index_.mutex_);
                index_.added_.wait(
                    lock, [&] { return stop_ || index_.closing_ || index_.size_ > next_; });
                if (stop_ || index_.closing_) return;
                for (auto i = next_; i < index_.size_; ++i) batch.push_back(&index_.at(i));
            }
            // Added records never change or move, so they are read without the lock.
            for (const auto* r : batch) f_(*r);
            next_ += batch.size();
        }
    }

    record_index& index_;
    std::size_t next_;
    std::function<void(const event_record&)> f_;
    bool stop_ = false;  // guarded by index_.mutex_
    std::thread thread_;
};

record_index::~record_index() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    added_.notify_all();
}

void record_index::add(event_record r) {
    {
        std::lock_guard lock(mutex_);
        if (size_ == chunks_.size() * chunk_size)
            chunks_.push_back(std::make_unique<event_record[]>(chunk_size));
        streams_[r.stream].push_back(size_);
        chunks_[size_ / chunk_size][size_ % chunk_size] = std::move(r);
        ++size_;
    }
    added_.notify_all();
}

std::size_t record_index::size() const {
    std::lock_guard lock(mutex_);
    return size_;
}

std::optional<std::string> record_index::last_hash() const {
    std::lock_guard lock(mutex_);
    if (size_ == 0) return std::nullopt;
    return at(size_ - 1).hash;
}

std::int64_t record_index::stream_size(const std::string& stream) const {
    std::lock_guard lock(mutex_);
    const auto it = streams_.find(stream);
    return it == streams_.end() ? 0 : static_cast<std::int64_t>(it->second.size());
}

std::vector<event_record> record_index::read_stream(const std::string& stream,
                                                    std::int64_t from_version) const {
    std::lock_guard lock(mutex_);
    std::vector<event_record> out;
    if (const auto it = streams_.find(stream); it != streams_.end())
        for (const auto i : it->second)
            if (at(i).version >= from_version) out.push_back(at(i));
    return out;
}

std::vector<event_record> record_index::read_from(std::size_t first, std::size_t max) const {
    std::lock_guard lock(mutex_);
    std::vector<event_record> out;
    for (auto i = first; i < size_ && out.size() < max; ++i) out.push_back(at(i));
    return out;
}

std::unique_ptr<subscription> record_index::follow(std::size_t first,
                                                   std::function<void(const event_record&)> f) {
    return std::make_unique<follower>(*this, first, std::move(f));
}

}  // namespace bb::kafka
