#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bb {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

// A small Prometheus registry: counters, histograms and gauges computed at scrape time.
class metrics {
  public:
    void describe(const std::string& name, const std::string& type, const std::string& help);
    void add(const std::string& name, const metric_labels& labels, double value = 1);
    void observe(const std::string& name, const metric_labels& labels, double value);
    // A gauge family whose samples are read when /metrics is scraped.
    void gauge(const std::string& name, const std::string& help,
               std::function<std::vector<std::pair<metric_labels, double>>()> read);
    double value(const std::string& name,
                 const metric_labels& labels) const;  // counters, for tests
    std::string render() const;                       // text exposition format 0.0.4

  private:
    struct histogram {
        std::vector<double> counts;  // one per bucket bound, not cumulative
        double sum = 0;
        double count = 0;
    };
    static std::string label_text(const metric_labels& labels);

    mutable std::mutex mutex_;
    std::map<std::string, std::pair<std::string, std::string>> meta_;  // name -> type, help
    std::map<std::string, std::map<std::string, double>> counters_;
    std::map<std::string, std::map<std::string, histogram>> histograms_;
    std::map<std::string, std::function<std::vector<std::pair<metric_labels, double>>()>> gauges_;
};

}  // namespace bb
