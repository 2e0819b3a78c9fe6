#pragma once

#include <expected>
#include <optional>
#include <system_error>

#include "domain/complaint.hpp"
#include "handlers/command_service.hpp"
#include "handlers/inbound.hpp"

namespace bb {

// Where the HTTP API sends validated webhook events, and where it finds a complaint's state.
// Embedded: decided and appended here and now. Kafka: produced to the inbound topic for the
// partition's owner to decide.
class ingress {
  public:
    virtual ~ingress() = default;
    // Durable when it returns a value: appended to the log, or acknowledged by the broker.
    virtual std::expected<command_outcome, std::error_code> submit(const inbound::cloud_event& e,
                                                                   const inbound::command& c,
                                                                   const command_meta& meta) = 0;
    using submit_callback = command_service::outcome_callback;
    // Whether submit_async returns before the events are durable, and so may be called on an
    // HTTP I/O thread.
    virtual bool submits_async() const { return false; }
    // As submit; `done` runs once the events are durable, possibly on another thread (it must
    // not block). This default submits and waits.
    virtual void submit_async(const inbound::cloud_event& e, const inbound::command& c,
                              const command_meta& meta, submit_callback done) {
        done(submit(e, c, meta));
    }
    // Whether submit reads the event's data document (an ingress that forwards events does);
    // the HTTP API then keeps it when it decodes a body.
    virtual bool reads_event_data() const { return true; }
    virtual complaint_lookup complaint(const complaint_id& id) const = 0;
    // Whether complaint() answers from memory (an HTTP I/O thread may then call it).
    virtual bool complaint_in_memory(const complaint_id& id) const = 0;
};

class local_ingress final : public ingress {
  public:
    explicit local_ingress(command_service& commands) : commands_(commands) {}
    std::expected<command_outcome, std::error_code> submit(const inbound::cloud_event&,
                                                           const inbound::command& c,
                                                           const command_meta& meta) override {
        return commands_.handle(c, meta);
    }
    bool reads_event_data() const override { return false; }  // the command says it all
    // The embedded log queues appends for its writer thread.
    bool submits_async() const override { return true; }
    void submit_async(const inbound::cloud_event&, const inbound::command& c,
                      const command_meta& meta, submit_callback done) override {
        commands_.handle_async(c, meta, std::move(done));
    }
    complaint_lookup complaint(const complaint_id& id) const override {
        return commands_.complaint(id);
    }
    bool complaint_in_memory(const complaint_id& id) const override { return commands_.cached(id); }

  private:
    command_service& commands_;
};

// A complaint's state folded from its stream in a log (any instance can answer from the topic).
complaint_lookup fold_complaint(event_log& log, const complaint_id& id);

}  // namespace bb
