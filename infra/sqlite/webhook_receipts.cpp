#include "infra/sqlite/webhook_receipts.hpp"

#include <algorithm>

#include "infra/iso8601.hpp"

namespace bb {

webhook_receipts::webhook_receipts(const std::string& path, std::chrono::milliseconds linger)
    : linger_(linger) {
    db_ = sqlite::open(path, false, sqlite::threading::caller);  // every use holds db_mutex_
    // Only this object uses the file: with the lock held for good, a lookup is a B-tree read
    // instead of a read transaction taking file locks and reading the WAL index.
    sqlite::exec(db_.get(), "PRAGMA locking_mode=EXCLUSIVE");
    sqlite::exec(db_.get(),
                 "CREATE TABLE IF NOT EXISTS webhook_receipts (source TEXT NOT NULL, webhook_id "
                 "TEXT NOT NULL, response TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY "
                 "(source, webhook_id))");
    find_ = sqlite::prepare(
        db_.get(), "SELECT response FROM webhook_receipts WHERE source = ? AND webhook_id = ?");
    insert_ = sqlite::prepare(db_.get(), "INSERT OR IGNORE INTO webhook_receipts VALUES (?,?,?,?)");
    // The filter holds every receipt on disk (read here from the key index: ~0.15 s per million)
    // and every one remembered since.
    {
        auto count = sqlite::prepare(db_.get(), "SELECT count(*) FROM webhook_receipts");
        sqlite::statement st{count.get()};
        st.step();
        known_ = bloom_filter(std::max<std::size_t>(1 << 20, 2 * st.int64(0)));
    }
    {
        auto all = sqlite::prepare(db_.get(), "SELECT source, webhook_id FROM webhook_receipts");
        sqlite::statement st{all.get()};
        while (st.step() == SQLITE_ROW) known_.add(hash(st.view(0), st.view(1)));
    }
    begin_ = sqlite::prepare(db_.get(), "BEGIN IMMEDIATE");
    commit_ = sqlite::prepare(db_.get(), "COMMIT");
    rollback_ = sqlite::prepare(db_.get(), "ROLLBACK");
    writer_ = std::thread([this] { writer_loop(); });
}

webhook_receipts::~webhook_receipts() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
}

std::optional<std::string> webhook_receipts::find(const std::string& source,
                                                  const std::string& webhook_id) {
    {
        std::lock_guard lock(mutex_);
        if (!known_.may_contain(hash(source, webhook_id))) return std::nullopt;
        const key k{source, webhook_id};
        if (const auto it = pending_.find(k); it != pending_.end()) return it->second.response;
        if (const auto it = writing_.find(k); it != writing_.end()) return it->second.response;
    }
    std::lock_guard lock(db_mutex_);
    sqlite::statement st{find_.get()};
    st.bind(1, source).bind(2, webhook_id);
    if (st.step() == SQLITE_ROW) return st.text(0);
    return std::nullopt;
}

void webhook_receipts::remember(const std::string& source, const std::string& webhook_id,
                                const std::string& response, instant at) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        // The first answer stays the answer, as INSERT OR IGNORE keeps it on disk.
        if (writing_.contains({source, webhook_id})) return;
        if (pending_.try_emplace({source, webhook_id}, entry{response, at}).second) {
            ++remembered_;
            known_.add(hash(source, webhook_id));
        }
        // The writer is woken by the first receipt of a batch (it then lingers) and by a full
        // one, not by every receipt.
        wake = pending_.size() == 1 || pending_.size() >= max_batch_;
    }
    if (wake) wake_.notify_one();
}

std::uint64_t webhook_receipts::hash(std::string_view source, std::string_view webhook_id) {
    constexpr std::hash<std::string_view> h;
    return h(webhook_id) ^ (h(source) * 0x9e3779b97f4a7c15ULL);
}

void webhook_receipts::flush() {
    std::unique_lock lock(mutex_);
    const auto target = remembered_;
    flush_target_ = std::max(flush_target_, target);
    wake_.notify_one();
    written_.wait(lock, [&] { return flushed_ >= target; });
}

void webhook_receipts::writer_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        wake_.wait_for(lock, linger_, [this] {
            return stopping_ || flush_target_ > flushed_ || pending_.size() >= max_batch_;
        });
        if (pending_.empty()) return;  // stopping, and everything is written
        writing_.swap(pending_);
        const auto count = writing_.size();
        lock.unlock();
        write(writing_);
        lock.lock();
        writing_.clear();
        flushed_ += count;
        written_.notify_all();
    }
}

void webhook_receipts::write(const std::map<key, entry>& batch) {
    std::lock_guard lock(db_mutex_);
    sqlite::run(begin_.get());
    for (const auto& [k, e] : batch) {
        sqlite::statement st{insert_.get()};
        st.bind_unowned(1, k.first)
            .bind_unowned(2, k.second)
            .bind_unowned(3, e.response)
            .bind(4, iso8601::format_instant(e.at));
        st.step();
    }
    // A failed write loses receipts only: a redelivery is then decided again (see the header).
    if (!sqlite::run(commit_.get())) sqlite::run(rollback_.get());
}

}  // namespace bb
