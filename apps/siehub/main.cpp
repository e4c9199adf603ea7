// SPDX-License-Identifier: Apache-2.0
// siehub: the passive-DNS hub. This file is only the front: it reads and validates the
// configuration (lib/control), applies the command-line overrides and hands over to the data
// plane (dataplane::run). The options below are a contract that tests and scripts rely on.

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "control/config.hpp"
#include "dataplane/run.hpp"

using namespace siehub;

namespace {

enum exit_status : int {
    exit_ok = 0,
    exit_bad_config = 1,
    exit_usage = 2,
    exit_dataplane = 3,
};

constexpr const char* description = R"(siehub - passive-DNS hub on DPDK

Receives sensors' nmsg (base/dnsqr) on its ingest ports, verifies, scrubs and deduplicates the
DNS data and re-emits the SIE channels (202 raw, 204 dnsdedupe, 211-214 newness with
[newness] enabled, 220 errors, 221 NXDOMAIN, 255 heartbeat) as nmsg broadcast on one VLAN per
channel. Without --config it runs the embedded demo configuration: virtual NICs, no hardware,
no hugepages.
)";

constexpr const char* footer = R"(
FILES
  /etc/siehub/siehub.conf            usual place of the configuration (pass it with --config)
  drivers-config/siehub-demo.conf    the embedded default: virtual NICs, no hugepages
  drivers-config/siehub-example.conf commented example for real NICs
  docs/config.md                     every configuration key, its type, default and meaning
  docs/newness.md                    channels 211-214, seen-set snapshots (siehub-seen)
  docs/sra.md                        AXA remote access: accounts, listeners, MISSED

EXAMPLES
  siehub --config /etc/siehub/siehub.conf --check
      Validate the configuration, print a summary and exit.
  siehub --config /etc/siehub/siehub.conf --stats-json /var/lib/siehub/stats.json
      Run on the configured NICs until SIGINT/SIGTERM, then write the final counters.
  siehub --offline sensors.pcap --out channels.pcap --workers 2 --stats-json stats.json
      Run the full pipeline on a capture (net_pcap devices, no NIC, no hugepages) and exit
      once the input is exhausted and every container and dedup entry is flushed.
  siehub --config hub.conf --sra-listen tcp:0.0.0.0,49500 --sra-accounts /etc/siehub/axa
      Also serve the channels to AXA clients (sratool/sratunnel); SIGHUP re-reads the
      accounts (docs/sra.md "Serving from the hub").
  kill -HUP $(pidof siehub)
      Re-read the configuration file and apply its [[filter]] rules (compiled off the data
      path, published to the workers by RCU/QSBR; a file that no longer loads is refused and
      counted as reload.failed). Other sections need a restart.
  siehub --config hub.conf -- --log-level=pmd:debug
      Append EAL arguments to those of the configuration.

EXIT STATUS
  0  success (or --check: the configuration is valid)
  1  the configuration is invalid; each error names file:line:column
  2  command-line usage error
  3  the data plane failed to start or stopped on an error
  4  the run ended but its counters do not reconcile (see --stats-json))";

} // namespace

int main(int argc, char** argv)
{
    // Everything after the first `--` belongs to the EAL; CLI11 never sees it.
    std::vector<std::string> eal_extra;
    int cli_argc = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--") {
            cli_argc = i;
            eal_extra.assign(argv + i + 1, argv + argc);
            break;
        }
    }

    CLI::App app{description, "siehub"};
    app.footer(footer);
    app.get_formatter()->column_width(30);

    std::string config_path;
    bool check = false;
    double duration_s = 0;
    std::string stats_json;
    unsigned workers = 0;
    bool stage_cycles = false;
    std::string offline_in;
    std::string offline_out;

    app.add_option("--config", config_path,
                   "configuration file (docs/config.md); default: the embedded demo config")
        ->type_name("FILE");
    app.add_flag("--check", check, "validate the configuration, print a summary, exit 0 or 1");
    app.add_option("--duration", duration_s, "stop after S seconds (default: run until signalled)")
        ->type_name("S")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--stats-json", stats_json, "write the final counters as JSON to FILE")
        ->type_name("FILE");
    app.add_flag("--stage-cycles", stage_cycles,
                 "count TSC cycles per pipeline stage (cycles.* counters; costs ~1 rdtsc per stage)");
    app.add_option("--workers", workers, "number of worker lcores (overrides workers.lcores)")
        ->type_name("N")
        ->check(CLI::Range(1, 128));
    auto* in_opt = app.add_option("--offline", offline_in,
                                  "read sensor traffic from IN.pcap instead of the ports")
                       ->type_name("IN.pcap");
    auto* out_opt =
        app.add_option("--out", offline_out, "with --offline: write the channels to OUT.pcap")
            ->type_name("OUT.pcap");
    in_opt->needs(out_opt);
    out_opt->needs(in_opt);
    std::vector<std::string> sra_listen;
    std::string sra_accounts, sra_cert, sra_key;
    double start_delay_s = 0, linger_s = 0;
    app.add_option("--sra-listen", sra_listen,
                       "serve AXA (sratool/sratunnel) from the hub: tcp:HOST,PORT | unix:PATH | "
                       "apikey:HOST,PORT (TLS), optionally ;allow=CIDR,...; repeatable (docs/sra.md)")
            ->type_name("SPEC");
    app.add_option("--sra-accounts", sra_accounts,
                                    "AXA accounts file (`user NAME CHANNELS`, `apikey KEY CHANNELS`); "
                                    "SIGHUP re-reads it")
                         ->type_name("FILE");
    app.add_option("--sra-cert", sra_cert, "PEM certificate for apikey: listeners")->type_name("FILE");
    app.add_option("--sra-key", sra_key, "PEM private key of --sra-cert")->type_name("FILE");
    app.add_option("--start-delay", start_delay_s,
                   "with --offline: AXA listeners up, wait S seconds, then read the input")
        ->type_name("S")
        ->check(CLI::NonNegativeNumber)
        ->needs(in_opt);
    app.add_option("--linger", linger_s,
                   "with --offline: once the input is done and flushed, serve AXA S more seconds")
        ->type_name("S")
        ->check(CLI::NonNegativeNumber)
        ->needs(in_opt);

    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    control::load_result loaded = config_path.empty() ? control::load_embedded_default()
                                                      : control::load_config_file(config_path);
    std::string const config_name =
        config_path.empty() ? std::string(control::embedded_default_name) : config_path;
    if (!loaded.cfg) {
        for (const auto& d : loaded.errors) {
            std::cerr << control::to_string(d) << "\n";
        }
        std::cerr << "siehub: " << loaded.errors.size() << " error(s) in " << config_name << "\n";
        return exit_bad_config;
    }
    control::config cfg = std::move(*loaded.cfg);
    if (!offline_in.empty()) {
        std::string err;
        if (!control::apply_offline(cfg, offline_in, offline_out, err)) {
            std::cerr << "siehub: --offline/--out: " << err << "\n";
            return exit_usage;
        }
    }
    control::apply_workers(cfg, workers);
    // --sra-* replace the [sra] keys of the config; checked the same way.
    if (!sra_listen.empty()) {
        cfg.sra.listen = sra_listen;
    }
    if (!sra_accounts.empty()) {
        cfg.sra.accounts = sra_accounts;
    }
    if (!sra_cert.empty()) {
        cfg.sra.cert = sra_cert;
    }
    if (!sra_key.empty()) {
        cfg.sra.key = sra_key;
    }
    if (auto const problems = control::check_sra(cfg.sra); !problems.empty()) {
        for (auto const& m : problems) {
            std::cerr << "siehub: --sra-*/[sra]: " << m << "\n";
        }
        return exit_usage;
    }

    if (check) {
        std::cout << "config ok: " << config_name << "\n" << control::summary(cfg);
        return exit_ok;
    }

    dataplane::run_options opts;
    opts.duration_s = duration_s;
    opts.stats_json = stats_json;
    opts.workers = workers;
    opts.stage_cycles = stage_cycles;
    opts.offline_in = offline_in;
    opts.offline_out = offline_out;
    opts.eal_extra = eal_extra;
    opts.config_name = config_name;
    opts.config_path = config_path;
    opts.start_delay_s = start_delay_s;
    opts.linger_s = linger_s;
    int const rc = dataplane::run(cfg, opts);
    return rc == 0 ? exit_ok : rc;
}
