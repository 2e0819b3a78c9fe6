#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "domain/time.hpp"
#include "infra/sqlite_db.hpp"

namespace bb {

// Remembers which webhook deliveries were accepted (source + webhook-id) and what we answered,
// so a redelivery gets the same 202 without touching the log. Correctness does not hang on it:
// a receipt lost in a crash only means the events are decided again, and the domain's
// idempotency keys turn that into no new events.
class webhook_receipts {
  public:
    webhook_receipts(const std::string& path, bool synchronous_full);
    std::optional<std::string> find(const std::string& source, const std::string& webhook_id);
    void remember(const std::string& source, const std::string& webhook_id,
                  const std::string& response, instant at);

  private:
    std::mutex mutex_;
    sqlite::db_ptr db_;
    sqlite::stmt_ptr find_, insert_;
};

}  // namespace bb
