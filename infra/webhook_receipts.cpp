#include "infra/webhook_receipts.hpp"

#include "infra/iso8601.hpp"

namespace bb {

webhook_receipts::webhook_receipts(const std::string& path, bool synchronous_full) {
    db_ = sqlite::open(path, synchronous_full);
    sqlite::exec(db_.get(),
                 "CREATE TABLE IF NOT EXISTS webhook_receipts (source TEXT NOT NULL, webhook_id "
                 "TEXT NOT NULL, response TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY "
                 "(source, webhook_id))");
    find_ = sqlite::prepare(
        db_.get(), "SELECT response FROM webhook_receipts WHERE source = ? AND webhook_id = ?");
    insert_ = sqlite::prepare(db_.get(), "INSERT OR IGNORE INTO webhook_receipts VALUES (?,?,?,?)");
}

std::optional<std::string> webhook_receipts::find(const std::string& source,
                                                  const std::string& webhook_id) {
    std::lock_guard lock(mutex_);
    sqlite::statement st{find_.get()};
    st.bind(1, source).bind(2, webhook_id);
    if (st.step() == SQLITE_ROW) return st.text(0);
    return std::nullopt;
}

void webhook_receipts::remember(const std::string& source, const std::string& webhook_id,
                                const std::string& response, instant at) {
    std::lock_guard lock(mutex_);
    sqlite::statement st{insert_.get()};
    st.bind(1, source).bind(2, webhook_id).bind(3, response).bind(4, iso8601::format_instant(at));
    st.step();
}

}  // namespace bb
