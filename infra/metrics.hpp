#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bb {

using metric_labels = std::vector<std::pair<std::string, std::string>>;
using metric_samples = std::vector<std::pair<metric_labels, double>>;

// The service's Prometheus registry. The registry, the metric types and the text exposition
// format are prometheus-cpp's core library (Debian prometheus-cpp-dev); this class only gives
// them names the code can use without holding family objects, and adds families computed when
// /metrics is scraped. Labels are bounded by the callers: never a complaint or customer id.
class metrics {
  public:
    metrics();
    ~metrics();
    metrics(const metrics&) = delete;
    metrics& operator=(const metrics&) = delete;

    // `type`: counter or histogram; fixes the help text of a family before its first sample.
    // A histogram observes seconds (0.5 ms to 10 s buckets) unless given its own upper bounds.
    void describe(const std::string& name, const std::string& type, const std::string& help,
                  std::vector<double> buckets = {});
    void add(const std::string& name, const metric_labels& labels, double value = 1);
    void observe(const std::string& name, const metric_labels& labels, double value);
    // A gauge family whose samples are read when /metrics is scraped.
    void gauge(const std::string& name, const std::string& help,
               std::function<metric_samples()> read);
    // A counter family kept by someone else (the kernel's CPU time, librdkafka's statistics),
    // read when /metrics is scraped.
    void counter_from(const std::string& name, const std::string& help,
                      std::function<metric_samples()> read);
    double value(const std::string& name,
                 const metric_labels& labels) const;  // counters, for tests
    std::string render() const;                       // text exposition format 0.0.4

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The standard process_* families (CPU seconds, resident and virtual memory, open and maximum
// file descriptors, start time), read from /proc when scraped, as every Prometheus client
// library exports them.
void add_process_metrics(metrics& m);

}  // namespace bb
