#include "infra/metrics.hpp"

#include <sstream>

namespace bb {

namespace {
const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,   0.25,   0.5,   1,    2.5};

std::string escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}
}  // namespace

std::string metrics::label_text(const metric_labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += out.empty() ? "" : ",";
        out += k + "=\"" + escape(v) + "\"";
    }
    return out;
}

void metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
    std::lock_guard lock(mutex_);
    meta_[name] = {type, help};
}

void metrics::add(const std::string& name, const metric_labels& labels, double value) {
    std::lock_guard lock(mutex_);
    counters_[name][label_text(labels)] += value;
}

void metrics::observe(const std::string& name, const metric_labels& labels, double value) {
    std::lock_guard lock(mutex_);
    auto& h = histograms_[name][label_text(labels)];
    if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
    for (std::size_t i = 0; i < buckets.size(); ++i)
        if (value <= buckets[i]) {
            h.counts[i] += 1;
            break;
        }
    h.sum += value;
    h.count += 1;
}

void metrics::gauge(const std::string& name, const std::string& help,
                    std::function<std::vector<std::pair<metric_labels, double>>()> read) {
    std::lock_guard lock(mutex_);
    meta_[name] = {"gauge", help};
    gauges_[name] = std::move(read);
}

double metrics::value(const std::string& name, const metric_labels& labels) const {
    std::lock_guard lock(mutex_);
    const auto it = counters_.find(name);
    if (it == counters_.end()) return 0;
    const auto jt = it->second.find(label_text(labels));
    return jt == it->second.end() ? 0 : jt->second;
}

std::string metrics::render() const {
    // Gauges read other components' state under those components' locks, and those components
    // take this mutex to count things while holding theirs: read the gauges before locking here,
    // so the two lock orders never meet.
    std::vector<std::pair<std::string, std::vector<std::pair<metric_labels, double>>>> gauge_values;
    {
        std::map<std::string, std::function<std::vector<std::pair<metric_labels, double>>()>>
            gauges;
        {
            std::lock_guard lock(mutex_);
            gauges = gauges_;
        }
        for (const auto& [name, read] : gauges) gauge_values.emplace_back(name, read());
    }
    std::ostringstream out;
    std::lock_guard lock(mutex_);
    auto header = [&](const std::string& name, const char* fallback_type) {
        const auto it = meta_.find(name);
        if (it != meta_.end()) out << "# HELP " << name << ' ' << it->second.second << '\n';
        out << "# TYPE " << name << ' ' << (it != meta_.end() ? it->second.first : fallback_type)
            << '\n';
    };
    auto sample = [&](const std::string& name, const std::string& labels, double v) {
        out << name;
        if (!labels.empty()) out << '{' << labels << '}';
        out << ' ' << v << '\n';
    };
    for (const auto& [name, series] : counters_) {
        header(name, "counter");
        for (const auto& [labels, v] : series) sample(name, labels, v);
    }
    for (const auto& [name, series] : histograms_) {
        header(name, "histogram");
        for (const auto& [labels, h] : series) {
            double cumulative = 0;
            const auto sep = labels.empty() ? "" : ",";
            for (std::size_t i = 0; i < buckets.size(); ++i) {
                cumulative += h.counts[i];
                std::ostringstream le;
                le << buckets[i];
                sample(name + "_bucket", labels + sep + "le=\"" + le.str() + "\"", cumulative);
            }
            sample(name + "_bucket", labels + sep + "le=\"+Inf\"", h.count);
            sample(name + "_sum", labels, h.sum);
            sample(name + "_count", labels, h.count);
        }
    }
    for (const auto& [name, values] : gauge_values) {
        header(name, "gauge");
        for (const auto& [labels, v] : values) sample(name, label_text(labels), v);
    }
    return out.str();
}

}  // namespace bb
