#include "infra/outbound/delivery_store.hpp"

#include <utility>

#include "infra/iso8601.hpp"

namespace bb::outbound {

std::string_view to_string(delivery_status s) {
    switch (s) {
        case delivery_status::delivered:
            return "delivered";
        case delivery_status::failed:
            return "failed";
        case delivery_status::pending:
            return "pending";
    }
    return "pending";
}

std::optional<delivery_status> parse_delivery_status(std::string_view s) {
    if (s == "delivered") return delivery_status::delivered;
    if (s == "failed") return delivery_status::failed;
    if (s == "pending") return delivery_status::pending;
    return std::nullopt;
}

namespace {

constexpr const char* columns =
    "id, subscription, position, webhook_id, event_type, stream, status, attempts, last_status, "
    "last_error, created_at, updated_at, partition";

delivery_record read_row(sqlite::statement& st) {
    delivery_record r;
    r.id = st.int64(0);
    r.subscription = st.text(1);
    r.position = st.int64(2);
    r.webhook_id = st.text(3);
    r.event_type = st.text(4);
    r.stream = st.text(5);
    r.status = parse_delivery_status(st.text(6)).value_or(delivery_status::pending);
    r.attempts = static_cast<int>(st.int64(7));
    r.last_status = static_cast<int>(st.int64(8));
    r.last_error = st.text(9);
    r.created_at = iso8601::parse_instant(st.text(10)).value_or(instant{});
    r.updated_at = iso8601::parse_instant(st.text(11)).value_or(instant{});
    r.partition = static_cast<std::int32_t>(st.int64(12));
    return r;
}

// One statement, prepared for one use (these run a few times per delivery, not per request).
sqlite::stmt_ptr prep(sqlite3* db, const std::string& sql) {
    return sqlite::prepare(db, sql.c_str());
}

void ensure_subscription(sqlite3* db, const std::string& subscription) {
    auto s = prep(db, "INSERT OR IGNORE INTO subscriptions (id) VALUES (?)");
    sqlite::statement st{s.get()};
    st.bind(1, subscription);
    st.step();
}

// A delivery's row, as recorded here or applied from another instance.
void insert_row(sqlite3* db, const delivery_record& r) {
    auto s = prep(db, std::string("INSERT INTO deliveries (") + columns +
                          ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?)");
    sqlite::statement st{s.get()};
    st.bind(1, r.subscription)
        .bind(2, r.position)
        .bind(3, r.webhook_id)
        .bind(4, r.event_type)
        .bind(5, r.stream)
        .bind(6, to_string(r.status))
        .bind(7, std::int64_t{r.attempts})
        .bind(8, std::int64_t{r.last_status})
        .bind(9, r.last_error)
        .bind(10, iso8601::format_instant(r.created_at))
        .bind(11, iso8601::format_instant(r.updated_at))
        .bind(12, static_cast<std::int64_t>(r.partition));
    st.step();
}

// The outcome of `r` (status, attempts, last answer, when) on the row `id`.
void update_outcome(sqlite3* db, std::int64_t id, const delivery_record& r) {
    auto s = prep(db,
                  "UPDATE deliveries SET status = ?, attempts = ?, last_status = ?, last_error = "
                  "?, updated_at = ? WHERE id = ?");
    sqlite::statement st{s.get()};
    st.bind(1, to_string(r.status))
        .bind(2, std::int64_t{r.attempts})
        .bind(3, std::int64_t{r.last_status})
        .bind(4, r.last_error)
        .bind(5, iso8601::format_instant(r.updated_at))
        .bind(6, id);
    st.step();
}

}  // namespace

delivery_store::delivery_store(const std::string& path, bool synchronous_full)
    : db_(sqlite::open(path, synchronous_full)) {
    sqlite::exec(db_.get(),
                 "CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, checkpoint "
                 "INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0, "
                 "disabled_reason TEXT NOT NULL DEFAULT '')");
    sqlite::exec(db_.get(),
                 "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                 "subscription TEXT NOT NULL, position INTEGER NOT NULL, webhook_id TEXT NOT NULL, "
                 "event_type TEXT NOT NULL, stream TEXT NOT NULL, status TEXT NOT NULL, attempts "
                 "INTEGER NOT NULL, last_status INTEGER NOT NULL, last_error TEXT NOT NULL, "
                 "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
    sqlite::exec(db_.get(),
                 "CREATE INDEX IF NOT EXISTS deliveries_by_subscription ON deliveries "
                 "(subscription, status, id)");
    // Stores written before Kafka mode delivered have no partition column: their records are
    // the embedded log's (-1).
    bool has_partition = false;
    {
        auto s = prep(db_.get(), "SELECT name FROM pragma_table_info('deliveries')");
        sqlite::statement st{s.get()};
        while (st.step() == SQLITE_ROW)
            if (st.view(0) == "partition") has_partition = true;
    }
    if (!has_partition)
        sqlite::exec(db_.get(),
                     "ALTER TABLE deliveries ADD COLUMN partition INTEGER NOT NULL DEFAULT -1");
    // Kafka mode: records of other instances are found by their webhook-id, and the deliveries
    // topic is read on from where this store stopped.
    sqlite::exec(db_.get(),
                 "CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries "
                 "(subscription, webhook_id, id)");
    sqlite::exec(db_.get(),
                 "CREATE TABLE IF NOT EXISTS replica_offsets (topic TEXT NOT NULL, partition "
                 "INTEGER NOT NULL, next INTEGER NOT NULL, PRIMARY KEY (topic, partition))");
}

void delivery_store::set_listener(listener l) {
    listener_ = std::move(l);
}

void delivery_store::tell(const delivery_record& r) {
    if (listener_.on_record) listener_.on_record(r);
}

void delivery_store::tell(const std::string& subscription) {
    if (listener_.on_state) listener_.on_state(subscription, state(subscription));
}

void delivery_store::store_offset(const std::string& topic, std::int32_t partition,
                                  std::int64_t next) {
    auto s = prep(db_.get(),
                  "INSERT INTO replica_offsets (topic, partition, next) VALUES (?, ?, ?) ON "
                  "CONFLICT (topic, partition) DO UPDATE SET next = max(next, excluded.next)");
    sqlite::statement st{s.get()};
    st.bind(1, topic).bind(2, static_cast<std::int64_t>(partition)).bind(3, next);
    st.step();
}

void delivery_store::apply_record_locked(const delivery_record& r) {
    std::optional<delivery_record> here;
    {
        auto s = prep(db_.get(), std::string("SELECT ") + columns +
                                     " FROM deliveries WHERE subscription = ? AND webhook_id = ? "
                                     "ORDER BY id DESC LIMIT 1");
        sqlite::statement st{s.get()};
        st.bind(1, r.subscription).bind(2, r.webhook_id);
        if (st.step() == SQLITE_ROW) here = read_row(st);
    }
    const auto later = [](const delivery_record& a, const delivery_record& b) {
        return std::pair{a.updated_at, a.attempts} > std::pair{b.updated_at, b.attempts};
    };
    if (!here) {
        insert_row(db_.get(), r);
    } else if (later(r, *here) && here->status != delivery_status::pending) {
        // A redelivery asked for here and not yet made stays pending: this instance makes it.
        update_outcome(db_.get(), here->id, r);
    }
}

void delivery_store::apply_state_locked(const std::string& subscription, bool disabled,
                                        const std::string& reason) {
    ensure_subscription(db_.get(), subscription);
    auto s =
        prep(db_.get(), "UPDATE subscriptions SET disabled = ?, disabled_reason = ? WHERE id = ?");
    sqlite::statement st{s.get()};
    st.bind(1, std::int64_t{disabled ? 1 : 0}).bind(2, reason).bind(3, subscription);
    st.step();
}

void delivery_store::apply_replicas(const std::vector<replica_change>& changes,
                                    const std::string& topic) {
    if (changes.empty()) return;
    std::lock_guard lock(mutex_);
    sqlite::exec(db_.get(), "BEGIN IMMEDIATE");
    for (const auto& c : changes) {
        if (c.record)
            apply_record_locked(*c.record);
        else
            apply_state_locked(c.subscription, c.disabled, c.reason);
        store_offset(topic, c.partition, c.next_offset);
    }
    sqlite::exec(db_.get(), "COMMIT");
}

void delivery_store::apply_replica(const delivery_record& r, const std::string& topic,
                                   std::int32_t partition, std::int64_t next_offset) {
    apply_replicas({replica_change{partition, next_offset, r, {}, false, {}}}, topic);
}

void delivery_store::apply_replica_state(const std::string& subscription, bool disabled,
                                         const std::string& reason, const std::string& topic,
                                         std::int32_t partition, std::int64_t next_offset) {
    apply_replicas(
        {replica_change{partition, next_offset, std::nullopt, subscription, disabled, reason}},
        topic);
}

bool delivery_store::delivered(const std::string& subscription, const std::string& webhook_id) {
    std::lock_guard lock(mutex_);
    auto s = prep(db_.get(),
                  "SELECT 1 FROM deliveries WHERE subscription = ? AND webhook_id = ? AND status = "
                  "'delivered' LIMIT 1");
    sqlite::statement st{s.get()};
    st.bind(1, subscription);
    st.bind(2, webhook_id);
    return st.step() == SQLITE_ROW;
}

std::optional<std::int64_t> delivery_store::id_of(const std::string& subscription,
                                                  const std::string& webhook_id) {
    std::lock_guard lock(mutex_);
    auto s = prep(db_.get(),
                  "SELECT id FROM deliveries WHERE subscription = ? AND webhook_id = ? ORDER BY id "
                  "DESC LIMIT 1");
    sqlite::statement st{s.get()};
    st.bind(1, subscription);
    st.bind(2, webhook_id);
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return st.int64(0);
}

std::map<std::int32_t, std::int64_t> delivery_store::replica_offsets(const std::string& topic) {
    std::lock_guard lock(mutex_);
    auto s = prep(db_.get(), "SELECT partition, next FROM replica_offsets WHERE topic = ?");
    sqlite::statement st{s.get()};
    st.bind(1, topic);
    std::map<std::int32_t, std::int64_t> out;
    while (st.step() == SQLITE_ROW) out[static_cast<std::int32_t>(st.int64(0))] = st.int64(1);
    return out;
}

subscription_state delivery_store::state(const std::string& subscription) {
    std::lock_guard lock(mutex_);
    ensure_subscription(db_.get(), subscription);
    auto s = prep(db_.get(),
                  "SELECT checkpoint, disabled, disabled_reason FROM subscriptions WHERE id = ?");
    sqlite::statement st{s.get()};
    st.bind(1, subscription);
    subscription_state out;
    if (st.step() == SQLITE_ROW) {
        out.checkpoint = st.int64(0);
        out.disabled = st.int64(1) != 0;
        out.disabled_reason = st.text(2);
    }
    return out;
}

void delivery_store::record(const delivery_record& r) {
    std::unique_lock lock(mutex_);
    sqlite::exec(db_.get(), "BEGIN IMMEDIATE");
    { insert_row(db_.get(), r); }
    // Kafka mode keeps its checkpoints as the subscription's consumer group offsets instead.
    if (r.partition < 0) {
        auto s = prep(db_.get(),
                      "UPDATE subscriptions SET checkpoint = max(checkpoint, ?) WHERE id = ?");
        sqlite::statement st{s.get()};
        st.bind(1, r.position).bind(2, r.subscription);
        st.step();
    }
    sqlite::exec(db_.get(), "COMMIT");
    lock.unlock();
    tell(r);
}

void delivery_store::skip_to(const std::string& subscription, std::int64_t position) {
    std::lock_guard lock(mutex_);
    auto s =
        prep(db_.get(), "UPDATE subscriptions SET checkpoint = max(checkpoint, ?) WHERE id = ?");
    sqlite::statement st{s.get()};
    st.bind(1, position).bind(2, subscription);
    st.step();
}

void delivery_store::disable(const std::string& subscription, const std::string& reason) {
    {
        std::lock_guard lock(mutex_);
        auto s = prep(db_.get(),
                      "UPDATE subscriptions SET disabled = 1, disabled_reason = ? WHERE id = ?");
        sqlite::statement st{s.get()};
        st.bind(1, reason).bind(2, subscription);
        st.step();
    }
    tell(subscription);
}

subscription_state delivery_store::enable(const std::string& subscription) {
    {
        std::lock_guard lock(mutex_);
        auto s = prep(db_.get(),
                      "UPDATE subscriptions SET disabled = 0, disabled_reason = '' WHERE id = ?");
        sqlite::statement st{s.get()};
        st.bind(1, subscription);
        st.step();
    }
    tell(subscription);
    return state(subscription);
}

std::optional<delivery_record> delivery_store::request_redelivery(std::int64_t id, instant now) {
    std::lock_guard lock(mutex_);
    {
        auto s = prep(db_.get(),
                      "UPDATE deliveries SET status = 'pending', updated_at = ? WHERE id = ? AND "
                      "status != 'pending'");
        sqlite::statement st{s.get()};
        st.bind(1, iso8601::format_instant(now)).bind(2, id);
        st.step();
    }
    auto s = prep(db_.get(), std::string("SELECT ") + columns + " FROM deliveries WHERE id = ?");
    sqlite::statement st{s.get()};
    st.bind(1, id);
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return read_row(st);
}

std::optional<delivery_record> delivery_store::next_redelivery(const std::string& subscription) {
    std::lock_guard lock(mutex_);
    auto s = prep(db_.get(), std::string("SELECT ") + columns +
                                 " FROM deliveries WHERE subscription = ? AND status = 'pending' "
                                 "ORDER BY id LIMIT 1");
    sqlite::statement st{s.get()};
    st.bind(1, subscription);
    if (st.step() != SQLITE_ROW) return std::nullopt;
    return read_row(st);
}

void delivery_store::finish_redelivery(const delivery_record& r) {
    {
        std::lock_guard lock(mutex_);
        update_outcome(db_.get(), r.id, r);
    }
    tell(r);
}

std::vector<delivery_record> delivery_store::list(const std::optional<std::string>& subscription,
                                                  const std::optional<delivery_status>& status,
                                                  std::int64_t before, std::size_t limit) {
    std::lock_guard lock(mutex_);
    auto s = prep(db_.get(), std::string("SELECT ") + columns +
                                 " FROM deliveries WHERE (?1 = '' OR subscription = ?1) AND (?2 = "
                                 "'' OR status = ?2) AND (?3 = 0 OR id < ?3) ORDER BY id DESC "
                                 "LIMIT ?4");
    sqlite::statement st{s.get()};
    st.bind(1, subscription.value_or(""))
        .bind(2, status ? to_string(*status) : std::string_view(""))  // "", not NULL
        .bind(3, before)
        .bind(4, static_cast<std::int64_t>(limit));
    std::vector<delivery_record> out;
    while (st.step() == SQLITE_ROW) out.push_back(read_row(st));
    return out;
}

}  // namespace bb::outbound
