#pragma once

#include "handlers/ingress/port.hpp"
#include "services/command_service.hpp"

namespace bb {

// The embedded shape: commands are decided here and queued for the event log's writer.
class local_ingress final : public ingress {
  public:
    explicit local_ingress(command_service& commands) : commands_(commands) {}
    void submit(const inbound::cloud_event&, const inbound::command& c, const command_meta& meta,
                outcome_callback done) override {
        commands_.handle_async(c, meta, std::move(done));
    }
    bool submit_blocks() const override { return false; }
    bool reads_event_data() const override { return false; }  // the command says it all
    complaint_lookup complaint(const complaint_id& id) const override {
        return commands_.complaint(id);
    }
    bool complaint_in_memory(const complaint_id& id) const override { return commands_.cached(id); }

  private:
    command_service& commands_;
};

}  // namespace bb
