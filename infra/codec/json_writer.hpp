#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bb::codec {

// Writes compact JSON text straight into a string, for hot responses whose shape is fixed (a
// complaint's view), where building a nlohmann document and dumping it would cost more than the
// query itself. The output is what nlohmann's dump() gives for the same
// document, invalid UTF-8 included (replaced by U+FFFD as error_handler_t::replace does).
// The caller keeps the structure right: a key before every member's value, every open closed.
class json_writer {
  public:
    json_writer& begin_object() { return open('{'); }
    json_writer& end_object() { return close('}'); }
    json_writer& begin_array() { return open('['); }
    json_writer& end_array() { return close(']'); }
    json_writer& key(std::string_view k);
    json_writer& value(std::string_view s);
    json_writer& value(const char* s) { return value(std::string_view(s)); }
    json_writer& value(bool b);
    json_writer& value(std::int64_t n);
    json_writer& value(double d);
    json_writer& null();
    // A value that is JSON text already (a stored event's data), copied as it is.
    json_writer& raw(std::string_view json_text);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    json_writer& open(char bracket);
    json_writer& close(char bracket);
    void separate();  // a comma before every member or element but the first
    void string(std::string_view s);

    std::string out_;
    bool first_ = true;  // nothing written yet at this level
};

}  // namespace bb::codec
