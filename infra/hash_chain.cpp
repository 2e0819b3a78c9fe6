#include "infra/hash_chain.hpp"

#include <openssl/evp.h>

#include "infra/iso8601.hpp"

namespace bb {

namespace {
void put(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}
}  // namespace

std::string canonical_bytes(const event_record& e) {
    std::string out;
    out.reserve(e.data.size() + 256);
    put(out, std::to_string(e.position));
    put(out, e.stream);
    put(out, std::to_string(e.version));
    put(out, e.partition_key);
    put(out, e.type);
    put(out, iso8601::format_instant(e.time));
    put(out, iso8601::format_instant(e.recorded_at));
    put(out, e.idempotency_key);
    put(out, e.causation_id);
    put(out, e.correlation_id);
    put(out, e.data);
    // Appended only when present, so events stored before traces were kept hash as they did; the
    // length prefixes keep the two shapes from ever spelling the same bytes.
    if (!e.traceparent.empty() || !e.tracestate.empty()) {
        put(out, e.traceparent);
        put(out, e.tracestate);
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // Fetched once: EVP_sha256() makes every EVP_Digest look the algorithm up again (OpenSSL 3's
    // implicit fetch; every authenticated request hashes its bearer token). Immutable after
    // initialisation and kept for the life of the process.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_Digest(bytes.data(), bytes.size(), digest, &len, sha256 ? sha256 : EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(len * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xF];
    }
    return out;
}

std::string chain_hash(std::string_view prev_hash, const event_record& e) {
    std::string bytes(prev_hash);
    bytes += canonical_bytes(e);
    return sha256_hex(bytes);
}

std::expected<chain_report, std::error_code> verify_chain(event_log& log) {
    chain_report start;
    start.head = std::string(genesis_hash);
    return verify_chain(log, std::move(start));
}

std::expected<chain_report, std::error_code> verify_chain(event_log& log, chain_report from) {
    auto out = std::move(from);
    out.checked = 0;
    for (std::int64_t next = out.events + 1;;) {
        const auto batch = log.read_all(next, 4096);
        if (!batch) return std::unexpected(batch.error());
        if (batch->empty()) return out;
        for (const auto& e : *batch) {
            if (e.position != out.events + 1)
                out.problem = "position " + std::to_string(out.events + 1) + " is missing";
            else if (e.prev_hash != out.head)
                out.problem = "prev_hash does not match the previous event's hash";
            else if (chain_hash(out.head, e) != e.hash)
                out.problem = "hash does not match the event's contents";
            if (!out.problem.empty()) {
                out.intact = false;
                out.first_bad = e;
                return out;
            }
            out.head = e.hash;
            ++out.events;
            ++out.checked;
        }
        next = batch->back().position + 1;
    }
}

}  // namespace bb
