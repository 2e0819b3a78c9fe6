#include <iostream>
#include <string_view>

#include "app/demo.hpp"

namespace {
void usage(std::ostream& os) {
    os << "usage: bounceback <command>\n"
          "  demo    run a built-in complaint scenario through the domain and print what it "
          "decided\n";
}
}  // namespace

int main(int argc, char** argv) {
    const std::string_view cmd = argc > 1 ? argv[1] : "";
    if (cmd == "demo") return bb::app::run_demo(std::cout);
    usage(cmd == "--help" || cmd == "help" ? std::cout : std::cerr);
    return cmd == "--help" || cmd == "help" ? 0 : 2;
}
