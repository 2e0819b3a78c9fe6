#include "infra/kafka/topic_view.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/kafka/partition_log.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace bb::kafka {

namespace {
constexpr const char* view_schema = R"sql(
CREATE TABLE IF NOT EXISTS view_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_offsets (
  partition   INTEGER PRIMARY KEY,
  next_offset INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS view_events (
  seq       INTEGER PRIMARY KEY,
  partition INTEGER NOT NULL,
  position  INTEGER NOT NULL,
  stream    TEXT NOT NULL,
  version   INTEGER NOT NULL,
  body      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS view_events_by_stream ON view_events (stream, version);
CREATE INDEX IF NOT EXISTS view_events_by_partition ON view_events (partition, position);
CREATE TABLE IF NOT EXISTS view_verified (
  partition INTEGER PRIMARY KEY,
  events    INTEGER NOT NULL,
  head      TEXT NOT NULL
);
)sql";
}  // namespace

// The SQLite copy of the topic (see topic_view). One writer (the view's consumer thread) and
// readers (the read side, the API) share one connection in turns.
class topic_view::store {
  public:
    struct incoming {
        std::int32_t partition;
        std::int64_t offset;
        event_record record;  // as decoded from body; its position becomes the arrival number
        std::string body;
    };

    static std::expected<std::unique_ptr<store>, std::string> open(const std::string& path,
                                                                   const std::string& topic) {
        auto s = std::make_unique<store>();
        try {
            // synchronous=NORMAL: what a power cut takes from the copy, offsets included, is
            // read from the topic again.
            s->write_ = sqlite::open(path, false, sqlite::threading::caller);
            sqlite::exec(s->write_.get(), view_schema);
            {
                auto q = sqlite::prepare(s->write_.get(),
                                         "SELECT value FROM view_meta WHERE key = 'topic'");
                sqlite::statement st(q.get());
                if (st.step() == SQLITE_ROW && st.view(0) != topic)
                    return std::unexpected(path + " is a copy of " + st.text(0) + ", not " + topic);
            }
            sqlite::exec(
                s->write_.get(),
                ("INSERT OR REPLACE INTO view_meta (key, value) VALUES ('topic', '" + topic + "')")
                    .c_str());
            // One connection, held exclusively (see partition_store): readers take turns with
            // the writer's batches under read_mutex_.
            sqlite::exec(s->write_.get(), "PRAGMA locking_mode=EXCLUSIVE");
            // Checkpoints every ~32 MB of WAL instead of 4 MB: each one writes the pages again.
            sqlite::exec(s->write_.get(), "PRAGMA wal_autocheckpoint=8000");
            // A transaction's dirty pages (up to 16,384 records, run_stored) stay in the cache
            // until its commit instead of spilling into the WAL early.
            sqlite::exec(s->write_.get(), "PRAGMA cache_size=-16384");
            s->insert_ = sqlite::prepare(
                s->write_.get(),
                "INSERT INTO view_events (seq, partition, position, stream, version, body) "
                "VALUES (?,?,?,?,?,?)");
            s->read_partition_ = sqlite::prepare(
                s->write_.get(),
                "SELECT body FROM view_events WHERE partition = ? AND position >= ? "
                "ORDER BY position LIMIT ?");
            s->verified_ = sqlite::prepare(
                s->write_.get(), "SELECT events, head FROM view_verified WHERE partition = ?");
            s->set_verified_ = sqlite::prepare(
                s->write_.get(),
                "INSERT OR REPLACE INTO view_verified (partition, events, head) VALUES (?,?,?)");
            s->set_offset_ = sqlite::prepare(
                s->write_.get(),
                "INSERT OR REPLACE INTO view_offsets (partition, next_offset) VALUES (?,?)");
            s->begin_ = sqlite::prepare(s->write_.get(), "BEGIN IMMEDIATE");
            s->commit_ = sqlite::prepare(s->write_.get(), "COMMIT");
            s->rollback_ = sqlite::prepare(s->write_.get(), "ROLLBACK");
            s->read_all_ = sqlite::prepare(
                s->write_.get(),
                "SELECT seq, body FROM view_events WHERE seq >= ? ORDER BY seq LIMIT ?");
            s->read_stream_ = sqlite::prepare(
                s->write_.get(),
                "SELECT body FROM view_events WHERE stream = ? AND version >= ? ORDER BY version");
            auto head = sqlite::prepare(s->write_.get(), "SELECT max(seq) FROM view_events");
            sqlite::statement st(head.get());
            if (st.step() == SQLITE_ROW) s->head_ = st.int64(0);
            auto offsets =
                sqlite::prepare(s->write_.get(), "SELECT partition, next_offset FROM view_offsets");
            sqlite::statement o(offsets.get());
            while (o.step() == SQLITE_ROW)
                s->offsets_[static_cast<std::int32_t>(o.int64(0))] = o.int64(1);
        } catch (const std::exception& e) {
            return std::unexpected(e.what());
        }
        return s;
    }

    const std::map<std::int32_t, std::int64_t>& offsets() const { return offsets_; }
    std::int64_t head() const { return head_.load(); }

    std::expected<void, std::string> add(std::vector<incoming>& batch) {
        std::lock_guard lock(read_mutex_);
        if (!sqlite::run(begin_.get())) return std::unexpected(error("begin"));
        auto seq = head_.load();
        auto offsets = offsets_;
        const auto fail = [&](const char* what) {
            const auto e = error(what);
            sqlite::run(rollback_.get());
            return std::unexpected(e);
        };
        for (const auto& r : batch) {
            sqlite::statement st(insert_.get());
            st.bind(1, ++seq)
                .bind(2, static_cast<std::int64_t>(r.partition))
                .bind(3, r.record.position)
                .bind(4, r.record.stream)
                .bind(5, r.record.version)
                .bind_unowned(6, r.body);
            if (st.step() != SQLITE_DONE) return fail("insert");
            offsets[r.partition] = r.offset + 1;
        }
        for (const auto& [p, next] : offsets) {
            sqlite::statement st(set_offset_.get());
            st.bind(1, static_cast<std::int64_t>(p)).bind(2, next);
            if (st.step() != SQLITE_DONE) return fail("offsets");
        }
        if (!sqlite::run(commit_.get())) return fail("commit");
        offsets_ = std::move(offsets);
        {
            std::lock_guard lock(head_mutex_);
            auto at = head_.load();
            for (auto& r : batch) {
                r.record.position = ++at;
                recent_.push_back(std::move(r.record));
            }
            while (recent_.size() > recent_capacity) recent_.pop_front();
            head_ = seq;
        }
        head_cv_.notify_all();
        return {};
    }

    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from,
                                                                       std::size_t max) {
        if (auto recent = read_recent(from, max)) return std::move(*recent);
        std::lock_guard lock(read_mutex_);
        sqlite::statement st(read_all_.get());
        st.bind(1, from).bind(2, static_cast<std::int64_t>(max));
        std::vector<event_record> out;
        while (st.step() == SQLITE_ROW) {
            auto r = reader_.read(st.view(1));
            if (!r) return std::unexpected(make_error_code(log_errc::corrupt_record));
            r->position = st.int64(0);
            out.push_back(std::move(*r));
        }
        return out;
    }

    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) {
        std::lock_guard lock(read_mutex_);
        sqlite::statement st(read_stream_.get());
        st.bind(1, stream).bind(2, from_version);
        std::vector<event_record> out;
        while (st.step() == SQLITE_ROW) {
            auto r = reader_.read(st.view(0));
            if (!r) return std::unexpected(make_error_code(log_errc::corrupt_record));
            out.push_back(std::move(*r));
        }
        return out;
    }

    // A partition's events in their per-partition order, as stored (verification).
    std::expected<std::vector<event_record>, std::error_code> read_partition(std::int32_t partition,
                                                                             std::int64_t from,
                                                                             std::size_t max) {
        std::lock_guard lock(read_mutex_);
        sqlite::statement st(read_partition_.get());
        st.bind(1, static_cast<std::int64_t>(partition))
            .bind(2, from)
            .bind(3, static_cast<std::int64_t>(max));
        std::vector<event_record> out;
        while (st.step() == SQLITE_ROW) {
            auto r = reader_.read(st.view(0));
            if (!r) return std::unexpected(make_error_code(log_errc::corrupt_record));
            out.push_back(std::move(*r));
        }
        return out;
    }

    // Where the last intact walk of a partition ended (a fresh start when none did).
    chain_report verified(std::int32_t partition) {
        std::lock_guard lock(read_mutex_);
        chain_report r;
        r.head = std::string(genesis_hash);
        sqlite::statement st(verified_.get());
        st.bind(1, static_cast<std::int64_t>(partition));
        if (st.step() == SQLITE_ROW) {
            r.events = st.int64(0);
            r.head = st.text(1);
        }
        return r;
    }
    void set_verified(std::int32_t partition, const chain_report& r) {
        std::lock_guard lock(read_mutex_);
        sqlite::statement st(set_verified_.get());
        st.bind(1, static_cast<std::int64_t>(partition)).bind(2, r.events).bind(3, r.head);
        st.step();
    }

    // Followers read what was stored a moment ago: served from memory, not read back from
    // SQLite and decoded a second time.
    std::optional<std::vector<event_record>> read_recent(std::int64_t from, std::size_t max) {
        std::lock_guard lock(head_mutex_);
        if (recent_.empty() || from < recent_.front().position || max == 0) return std::nullopt;
        std::vector<event_record> out;
        if (from > recent_.back().position) return out;
        const auto first = recent_.begin() + (from - recent_.front().position);
        const auto n = std::min<std::size_t>(max, static_cast<std::size_t>(recent_.end() - first));
        out.assign(first, first + static_cast<std::ptrdiff_t>(n));
        return out;
    }

    void wait_for(std::int64_t seq, std::chrono::milliseconds timeout) {
        std::unique_lock lock(head_mutex_);
        head_cv_.wait_for(lock, timeout, [&] { return head_.load() >= seq; });
    }

  private:
    std::string error(const char* what) const {
        return std::string("view store ") + what + ": " + sqlite3_errmsg(write_.get());
    }

    sqlite::db_ptr write_;
    sqlite::stmt_ptr insert_, set_offset_, begin_, commit_, rollback_, read_all_, read_stream_,
        read_partition_, verified_, set_verified_;
    std::map<std::int32_t, std::int64_t> offsets_;  // the writer's
    std::mutex read_mutex_;            // the connection's: the writer's batches and every read
    codec::cloudevent_reader reader_;  // the readers', under read_mutex_
    std::mutex head_mutex_;
    std::condition_variable head_cv_;
    std::atomic<std::int64_t> head_{0};
    // The last stored records, gapless, with their arrival numbers (under head_mutex_).
    static constexpr std::size_t recent_capacity = 16384;  // a transaction's worth (run_stored)
    std::deque<event_record> recent_;
};

// Delivers the stored records from a sequence number on, then follows (as the SQLite event
// log's subscription does).
class topic_view::store_subscription final : public subscription {
  public:
    store_subscription(store& s, std::int64_t from, std::function<void(const event_record&)> f)
        : store_(s), next_(from < 1 ? 1 : from), f_(std::move(f)), thread_([this] { run(); }) {}
    ~store_subscription() override {
        stop_ = true;
        thread_.join();
    }

  private:
    void run() {
        while (!stop_) {
            const auto batch = store_.read_all(next_, 512);
            if (!batch || batch->empty()) {
                store_.wait_for(next_, std::chrono::milliseconds(100));
                continue;
            }
            for (const auto& e : *batch) {
                if (stop_) return;
                f_(e);
                next_ = e.position + 1;
            }
        }
    }
    store& store_;
    std::int64_t next_;
    std::function<void(const event_record&)> f_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

topic_view::topic_view(settings client, std::string topic, std::string store_path)
    : client_(std::move(client)), topic_(std::move(topic)), store_path_(std::move(store_path)) {}

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
    partitions_ = *n;
    if (!store_path_.empty()) {
        if (auto opened = open_store(*n); !opened) return opened;
    }
    std::vector<RdKafka::TopicPartition*> parts;
    for (int p = 0; p < *n; ++p) {
        auto from = RdKafka::Topic::OFFSET_BEGINNING;
        if (store_)
            if (const auto it = store_->offsets().find(p); it != store_->offsets().end())
                from = it->second;
        parts.push_back(RdKafka::TopicPartition::create(topic_, p, from));
        from_[p] = from;
    }
    // The ends to reach are asked now, before anything is fetched: once the consumer is
    // assigned, each query waits behind a fetch that the broker holds open up to
    // fetch.wait.max.ms at the end of the log (half a second per partition on a restart).
    std::map<std::int32_t, std::int64_t> ends;
    bool all_known = true;
    for (const auto& [p, from] : from_) {
        std::int64_t low = 0, high = 0;
        if (consumer_->query_watermark_offsets(topic_, p, &low, &high, 5000) !=
            RdKafka::ERR_NO_ERROR) {
            all_known = false;  // asked again from the view's thread
            break;
        }
        if (high > std::max<std::int64_t>(low, from)) ends[p] = high;
    }
    if (all_known) {
        to_reach_ = std::move(ends);
        from_.clear();
    }
    const auto code = consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + topic_ + ": " + RdKafka::err2str(code));
    thread_ = std::thread([this] { store_ ? run_stored() : run(); });
    return {};
}

// A copy that cannot be opened, is of another topic, or is ahead of the topic (which was
// recreated) is started again from the topic.
std::expected<void, std::string> topic_view::open_store(int partitions) {
    std::filesystem::create_directories(std::filesystem::path(store_path_).parent_path());
    for (int attempt = 0;; ++attempt) {
        auto s = store::open(store_path_, topic_);
        std::string why = s ? std::string{} : s.error();
        if (s)
            for (const auto& [p, next] : (*s)->offsets()) {
                std::int64_t low = 0, high = 0;
                if (p >= partitions) {
                    why = "the copy has partition " + std::to_string(p) + ", the topic " +
                          std::to_string(partitions) + " partitions";
                    break;
                }
                if (consumer_->query_watermark_offsets(topic_, p, &low, &high, 10000) ==
                        RdKafka::ERR_NO_ERROR &&
                    next > high) {
                    why = "the copy is ahead of " + topic_ + "/" + std::to_string(p);
                    break;
                }
            }
        if (why.empty()) {
            store_ = std::move(*s);
            started_empty_ = store_->head() == 0;
            return {};
        }
        if (attempt > 0) return std::unexpected(store_path_ + ": " + why);
        replaced_ = why;
        s = std::unexpected(std::string{});
        for (const auto* suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(store_path_ + suffix);
    }
}

void topic_view::run_stored() {
    // Records are stored in transactions of up to 16,384, or what arrived within a quarter of a
    // second, or whatever is there when the topic runs dry: each commit writes the pages of
    // the stream index it touched once, so fewer, bigger ones cost less per record (and the
    // read side sees a record a quarter of a second later at most, under a backlog).
    constexpr std::size_t most = 16384;
    constexpr auto longest = std::chrono::milliseconds(250);
    codec::cloudevent_reader reader;
    std::vector<store::incoming> batch;
    auto first = std::chrono::steady_clock::now();
    while (!stop_) {
        bool dry = false;
        for (int wait = batch.empty() ? 200 : 0; batch.size() < most && !stop_; wait = 0) {
            std::unique_ptr<RdKafka::Message> m(consumer_->consume(wait));
            if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) {
                dry = true;
                break;
            }
            if (m->err() != RdKafka::ERR_NO_ERROR) continue;  // transient errors
            std::string body(static_cast<const char*>(m->payload()), m->len());
            auto r = reader.read(body);
            if (!r) continue;  // not an event: verify reports the partition's chain broken
            if (batch.empty()) first = std::chrono::steady_clock::now();
            batch.push_back({m->partition(), m->offset(), std::move(*r), std::move(body)});
        }
        if (batch.empty()) {
            note_progress();
            continue;
        }
        if (!dry && batch.size() < most && std::chrono::steady_clock::now() - first < longest)
            continue;
        // A failed write (disk full) is retried: the records are in hand and nothing after them
        // is stored before they are.
        while (!stop_) {
            if (store_->add(batch)) break;
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        batch.clear();
        note_progress();
    }
}

void topic_view::run() {
    codec::cloudevent_reader reader;
    while (!stop_) {
        std::unique_ptr<RdKafka::Message> m(consumer_->consume(200));
        if (m->err() != RdKafka::ERR_NO_ERROR) {  // timeouts, EOF, transient errors
            note_progress();
            continue;
        }
        auto r = reader.read({static_cast<const char*>(m->payload()), m->len()});
        if (r) records_.add(std::move(*r));
        note_progress();
    }
}

// Called on the view's thread after what it consumed is held (and before start's thread runs
// it, from start itself).
void topic_view::measure_behind() {
    const auto now = std::chrono::steady_clock::now();
    if (now - measured_ < std::chrono::seconds{1}) return;
    measured_ = now;
    std::int64_t total = 0;
    for (const auto& [p, lag] : consumer_lag(*consumer_)) total += lag;
    behind_ = total;
}

void topic_view::note_progress() {
    measure_behind();
    if (caught_up_at_.load() >= 0) return;
    if (!from_.empty()) {
        // The end of each partition to reach, asked once (again at the next call when the
        // broker does not answer: the view keeps consuming meanwhile, and is not current yet).
        // A partition already at its end needs nothing: its position stays unknown until a
        // record arrives.
        std::map<std::int32_t, std::int64_t> ends;
        for (const auto& [p, from] : from_) {
            std::int64_t low = 0, high = 0;
            if (consumer_->query_watermark_offsets(topic_, p, &low, &high, 5000) !=
                RdKafka::ERR_NO_ERROR)
                return;
            if (high > std::max<std::int64_t>(low, from)) ends[p] = high;
        }
        to_reach_ = std::move(ends);
        from_.clear();
    }
    if (!to_reach_.empty()) {
        std::vector<RdKafka::TopicPartition*> pos;
        for (const auto& [p, _] : to_reach_)
            pos.push_back(RdKafka::TopicPartition::create(topic_, p));
        consumer_->position(pos);
        for (const auto* tp : pos)
            if (tp->offset() >= 0 && tp->offset() >= to_reach_[tp->partition()])
                to_reach_.erase(tp->partition());
        RdKafka::TopicPartition::destroy(pos);
    }
    if (to_reach_.empty()) caught_up_at_ = static_cast<std::int64_t>(size());
}

std::optional<std::int64_t> topic_view::caught_up() const {
    const auto at = caught_up_at_.load();
    if (at < 0) return std::nullopt;
    return at;
}

std::size_t topic_view::size() const {
    return store_ ? static_cast<std::size_t>(store_->head()) : records_.size();
}

std::expected<append_result, std::error_code> topic_view::append(append_request) {
    return std::unexpected(make_error_code(log_errc::closed));
}

std::expected<std::vector<event_record>, std::error_code> topic_view::read_stream(
    const std::string& stream, std::int64_t from_version) {
    if (store_) return store_->read_stream(stream, from_version);
    return records_.read_stream(stream, from_version);
}

std::expected<std::vector<event_record>, std::error_code> topic_view::read_all(std::int64_t from,
                                                                               std::size_t max) {
    if (store_) return store_->read_all(from, max);
    return std::vector<event_record>{};
}

std::int64_t topic_view::head() {
    return static_cast<std::int64_t>(size());
}

std::unique_ptr<subscription> topic_view::subscribe(std::int64_t from,
                                                    std::function<void(const event_record&)> f) {
    if (store_) return std::make_unique<store_subscription>(*store_, from, std::move(f));
    return records_.follow(0, std::move(f));
}

namespace {
// One partition of the stored copy as a log, for verify_chain: read_all in per-partition
// positions. Nothing else is used.
class stored_partition final : public event_log {
  public:
    using reader = std::function<std::expected<std::vector<event_record>, std::error_code>(
        std::int64_t, std::size_t)>;
    explicit stored_partition(reader read) : read_(std::move(read)) {}
    std::expected<append_result, std::error_code> append(append_request) override {
        return std::unexpected(make_error_code(log_errc::closed));
    }
    std::expected<std::vector<event_record>, std::error_code> read_stream(const std::string&,
                                                                          std::int64_t) override {
        return std::vector<event_record>{};
    }
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from,
                                                                       std::size_t max) override {
        return read_(from, max);
    }
    std::int64_t head() override { return 0; }
    std::unique_ptr<subscription> subscribe(std::int64_t,
                                            std::function<void(const event_record&)>) override {
        return std::make_unique<subscription>();
    }

  private:
    reader read_;
};
}  // namespace

std::expected<std::vector<chain_report>, std::string> topic_view::verify() {
    if (!store_) return verify_topic(client_, topic_);
    std::vector<chain_report> out;
    for (int p = 0; p < partitions_; ++p) {
        stored_partition log([&](std::int64_t from, std::size_t max) {
            return store_->read_partition(p, from, max);
        });
        auto report = verify_chain(log, store_->verified(p));
        if (!report) return std::unexpected(report.error().message());
        // Only an intact prefix is a place to continue from: a broken chain is walked (and
        // reported) again next time.
        if (report->intact) store_->set_verified(p, *report);
        out.push_back(std::move(*report));
    }
    return out;
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
