#include "infra/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace bb {

namespace {

// Seconds: from half a millisecond (an in-memory query) to 10 s (a retried delivery).
const prometheus::Histogram::BucketBoundaries buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

prometheus::Labels to_labels(const metric_labels& labels) {
    return prometheus::Labels(labels.begin(), labels.end());
}

}  // namespace

struct metrics::impl {
    prometheus::Registry registry;
    mutable std::mutex mutex;  // the maps below; the families lock themselves
    std::map<std::string, std::string> help;
    std::map<std::string, prometheus::Family<prometheus::Counter>*> counters;
    // A histogram's family and its bucket bounds (the default ones unless described with its own).
    struct histogram_family {
        prometheus::Family<prometheus::Histogram>* family = nullptr;
        prometheus::Histogram::BucketBoundaries bounds = buckets;
    };
    std::map<std::string, histogram_family> histograms;
    std::map<std::string, std::pair<std::string, std::function<metric_samples()>>> gauges,
        read_counters;

    std::string help_of(const std::string& name) const {
        const auto it = help.find(name);
        return it == help.end() ? name : it->second;
    }
    prometheus::Family<prometheus::Counter>& counter(const std::string& name) {
        std::lock_guard lock(mutex);
        auto& f = counters[name];
        if (!f) f = &prometheus::BuildCounter().Name(name).Help(help_of(name)).Register(registry);
        return *f;
    }
    // Stable: map nodes do not move, and a family's bounds never change once it is built.
    histogram_family& histogram(const std::string& name,
                                const prometheus::Histogram::BucketBoundaries* bounds = nullptr) {
        std::lock_guard lock(mutex);
        auto& h = histograms[name];
        if (!h.family) {
            if (bounds && !bounds->empty()) h.bounds = *bounds;
            h.family =
                &prometheus::BuildHistogram().Name(name).Help(help_of(name)).Register(registry);
        }
        return h;
    }
};

metrics::metrics() : impl_(std::make_unique<impl>()) {}
metrics::~metrics() = default;

void metrics::describe(const std::string& name, const std::string& type, const std::string& help,
                       std::vector<double> bounds) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->help[name] = help;
    }
    // The family exists from now on, so a scrape shows it (at zero samples) before it counts.
    if (type == "histogram")
        impl_->histogram(name, &bounds);
    else if (type == "counter")
        impl_->counter(name);
}

void metrics::add(const std::string& name, const metric_labels& labels, double value) {
    impl_->counter(name).Add(to_labels(labels)).Increment(value);
}

void metrics::observe(const std::string& name, const metric_labels& labels, double value) {
    auto& h = impl_->histogram(name);
    h.family->Add(to_labels(labels), h.bounds).Observe(value);
}

void metrics::gauge(const std::string& name, const std::string& help,
                    std::function<metric_samples()> read) {
    std::lock_guard lock(impl_->mutex);
    impl_->help[name] = help;
    impl_->gauges[name] = {help, std::move(read)};
}

void metrics::counter_from(const std::string& name, const std::string& help,
                           std::function<metric_samples()> read) {
    std::lock_guard lock(impl_->mutex);
    impl_->help[name] = help;
    impl_->read_counters[name] = {help, std::move(read)};
}

double metrics::value(const std::string& name, const metric_labels& labels) const {
    prometheus::Family<prometheus::Counter>* f = nullptr;
    {
        std::lock_guard lock(impl_->mutex);
        const auto it = impl_->counters.find(name);
        if (it == impl_->counters.end()) return 0;
        f = it->second;
    }
    const auto l = to_labels(labels);
    return f->Has(l) ? f->Add(l).Value() : 0;
}

std::string metrics::render() const {
    // Read families call into other components under their locks, and those components count
    // things (taking this registry's locks) while holding theirs: copy the readers, then call
    // them with no lock of ours held, so the two lock orders never meet.
    decltype(impl_->gauges) gauges, read_counters;
    {
        // The help text last given (a describe() after gauge() refines it, as for counters).
        std::lock_guard lock(impl_->mutex);
        gauges = impl_->gauges;
        read_counters = impl_->read_counters;
        for (auto* m : {&gauges, &read_counters})
            for (auto& [name, g] : *m) g.first = impl_->help_of(name);
    }
    // A registry of this scrape's reads: a label set that is gone is not shown again.
    prometheus::Registry scrape;
    for (const auto& [name, g] : gauges) {
        auto& f = prometheus::BuildGauge().Name(name).Help(g.first).Register(scrape);
        for (const auto& [labels, v] : g.second()) f.Add(to_labels(labels)).Set(v);
    }
    for (const auto& [name, c] : read_counters) {
        auto& f = prometheus::BuildCounter().Name(name).Help(c.first).Register(scrape);
        for (const auto& [labels, v] : c.second()) f.Add(to_labels(labels)).Increment(v);
    }
    auto families = impl_->registry.Collect();
    auto read = scrape.Collect();
    families.insert(families.end(), std::make_move_iterator(read.begin()),
                    std::make_move_iterator(read.end()));
    // A family with no samples yet (nothing counted, a gauge with nothing to report) is still
    // shown, HELP and TYPE alone, so dashboards and alert rules can name it from the first scrape.
    std::set<std::string> present;
    for (const auto& f : families) present.insert(f.name);
    const auto empty = [&](const std::string& name, const std::string& help,
                           prometheus::MetricType type) {
        if (present.insert(name).second) families.push_back({name, help, type, {}});
    };
    {
        std::lock_guard lock(impl_->mutex);
        for (const auto& [name, f] : impl_->counters)
            empty(name, impl_->help_of(name), prometheus::MetricType::Counter);
        for (const auto& [name, f] : impl_->histograms)
            empty(name, impl_->help_of(name), prometheus::MetricType::Histogram);
    }
    for (const auto& [name, g] : gauges) empty(name, g.first, prometheus::MetricType::Gauge);
    for (const auto& [name, c] : read_counters)
        empty(name, c.first, prometheus::MetricType::Counter);
    std::ostringstream out;
    prometheus::TextSerializer{}.Serialize(out, families);
    return out.str();
}

namespace {

// /proc/self/stat: the fields after the command name (which may hold spaces and parentheses).
std::vector<std::string> proc_stat() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    std::istringstream rest(close == std::string::npos ? "" : line.substr(close + 2));
    std::vector<std::string> fields;
    for (std::string f; rest >> f;) fields.push_back(f);
    return fields;  // fields[0] is field 3 (state)
}

double boot_time() {
    std::ifstream in("/proc/stat");
    for (std::string key; in >> key;) {
        if (key == "btime") {
            double t = 0;
            in >> t;
            return t;
        }
        in.ignore(1 << 16, '\n');
    }
    return 0;
}

}  // namespace

void add_process_metrics(metrics& m) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double booted = boot_time();
    m.counter_from("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                   [ticks] {
                       const auto f = proc_stat();
                       if (f.size() < 13) return metric_samples{};
                       return metric_samples{
                           {{}, (std::stod(f[11]) + std::stod(f[12])) / ticks}};  // utime + stime
                   });
    m.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [page] {
        const auto f = proc_stat();
        return f.size() < 22 ? metric_samples{} : metric_samples{{{}, std::stod(f[21]) * page}};
    });
    m.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
        const auto f = proc_stat();
        return f.size() < 21 ? metric_samples{} : metric_samples{{{}, std::stod(f[20])}};
    });
    m.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            [ticks, booted] {
                const auto f = proc_stat();
                return f.size() < 20 ? metric_samples{}
                                     : metric_samples{{{}, booted + std::stod(f[19]) / ticks}};
            });
    m.gauge("process_open_fds", "Number of open file descriptors.", [] {
        std::error_code ec;
        double n = 0;
        for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
             it.increment(ec))
            ++n;
        return metric_samples{{{}, n}};
    });
    m.gauge("process_max_fds", "Maximum number of open file descriptors.", [] {
        rlimit r{};
        if (getrlimit(RLIMIT_NOFILE, &r) != 0) return metric_samples{};
        return metric_samples{{{}, static_cast<double>(r.rlim_cur)}};
    });
}

}  // namespace bb
