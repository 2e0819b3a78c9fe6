#include <iostream>
#include <string_view>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/demo.hpp"
#include "infra/sqlite/sqlite_db.hpp"

namespace {
void usage(std::ostream& os) {
    os << "usage: bounceback <command> [flags]\n"
          "  serve    [--config F] [--listen HOST:PORT] [--data-dir DIR] [--set key=value]\n"
          "           run the HTTP service on the embedded SQLite event log\n"
          "  serve    --kafka HOSTS [--instance ID] ...\n"
          "           run as a member of the consumer group (exactly-once, docs/kafka.md)\n"
          "  publish  --kafka HOSTS --input events.jsonl [--topic T] [--mode structured|binary]\n"
          "           produce inbound CloudEvents, keyed by customer\n"
          "  export   --kafka HOSTS [--topic T]   the committed records of a topic, as JSON Lines\n"
          "  verify   --kafka HOSTS             every partition's hash chain\n"
          "  lag      --kafka HOSTS [--kafka-group G]   the group's committed offsets and lag\n"
          "  process  --config F --data DIR --input events.jsonl [--until T]\n"
          "           feed inbound CloudEvents with a virtual clock (no wall clock)\n"
          "  export   --data DIR            print the domain events as CloudEvents JSON Lines\n"
          "  import   --format cfpb FILE --config F --data DIR\n"
          "           import a CFPB complaint export as inbound events\n"
          "           (process and import with --kafka HOSTS [--topic T] instead of --data: to\n"
          "           the cluster's inbound topic, returning once the group decided them)\n"
          "  verify   --data DIR            walk the hash chain; exit 1 naming the first bad "
          "event\n"
          "  replay   --config F --data DIR [--until T] [--projection "
          "sla|at-risk|prevention|employees|all]\n"
          "           the reports as of instant T, from the log alone (JSON); --kafka HOSTS "
          "[--topic T]\n"
          "           reads the events topic instead of --data\n"
          "  audit    ID (--data DIR | --kafka HOSTS [--topic T]) [--format json]\n"
          "           a complaint's timeline with hash checks\n"
          "  whatif   --config NEW --data DIR [--until T] [--limit N]\n"
          "           the stored facts decided again under NEW's policies: SLA outcomes before\n"
          "           and after, per complaint and in sum (JSON); the log is only read\n"
          "  simulate [--events N] [--seed S] [--customers C] [--start T]\n"
          "           a realistic, reproducible inbound workload as JSON Lines\n"
          "  demo                           run a built-in scenario through the domain only\n";
}
}  // namespace

int main(int argc, char** argv) {
    bb::sqlite::configure_process();
    const std::string_view cmd = argc > 1 ? argv[1] : "";
    if (cmd == "--help" || cmd == "help" || cmd == "-h") {
        usage(std::cout);
        return 0;
    }
    if (cmd == "demo") return bb::app::run_demo(std::cout);
    std::string error;
    const auto args = bb::app::parse_args(argc, argv, error);
    if (!args) {
        std::cerr << "bounceback: " << error << '\n';
        usage(std::cerr);
        return 2;
    }
    try {
        if (cmd == "serve") return bb::app::serve(*args);
        if (cmd == "process") return bb::app::process(*args);
        if (cmd == "publish") return bb::app::publish(*args);
        if (cmd == "lag") return bb::app::lag(*args);
        if (cmd == "simulate") return bb::app::simulate(*args);
        if (cmd == "export")
            return args->flag("kafka") ? bb::app::export_topic(*args)
                                       : bb::app::export_events(*args);
        if (cmd == "import") return bb::app::import_events(*args);
        if (cmd == "verify")
            return args->flag("kafka") ? bb::app::verify_topic(*args) : bb::app::verify(*args);
        if (cmd == "replay") return bb::app::replay(*args);
        if (cmd == "audit") return bb::app::audit(*args);
        if (cmd == "whatif") return bb::app::whatif_report(*args);
    } catch (const std::exception& e) {
        // Start-up failures (a data directory we cannot write, a port in use) end here.
        std::cerr << "bounceback: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "bounceback: unknown command " << cmd << '\n';
    usage(std::cerr);
    return 2;
}
