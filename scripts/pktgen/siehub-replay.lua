-- SPDX-License-Identifier: Apache-2.0
-- pktgen-dpdk script: replay a siehub-gen pcap at line rate (or a given rate) on one port and
-- print the rate once a second. Start pktgen with the pcap bound to the port, e.g.
--
--   pktgen -l 0-2 -n 4 -a 0000:3b:00.0 -- -P -m "[1:2].0" -s 0:sensors.pcap \
--          -f scripts/pktgen/siehub-replay.lua
--
-- Settings come from environment variables (pktgen's Lua has os.getenv):
--   SIEHUB_PORT      pktgen port number              (default "0")
--   SIEHUB_RATE      percent of line rate, 1..100     (default 100)
--   SIEHUB_SECONDS   how long to send; 0 = until quit (default 30)
-- See scripts/pktgen/README.md.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = os.getenv("SIEHUB_PORT") or "0"
local rate = tonumber(os.getenv("SIEHUB_RATE") or "100")
local seconds = tonumber(os.getenv("SIEHUB_SECONDS") or "30")

-- The frames carry their own addresses (siehub-gen --dst-mac/--dst-ip/--port): pktgen must
-- send them as they are, so only the pcap mode is switched on, nothing is rewritten.
local ok = pcall(function() pktgen.pcap(port, "on") end)
if not ok then
    print("siehub-replay: this pktgen has no pktgen.pcap(); type `enable " .. port ..
          " pcap` at the prompt, then `start " .. port .. "`")
    return
end
pktgen.set(port, "rate", rate)
pktgen.clr()
pktgen.start(port)
print(string.format("siehub-replay: port %s, %d%% of line rate, %s", port, rate,
                    seconds > 0 and (seconds .. " s") or "until stopped"))

local function stats()
    local s = pktgen.portStats(port, "rate")[tonumber(port)]
    if s ~= nil then
        print(string.format("siehub-replay: tx %.3f Mpps %.3f Gbit/s", (s.pkts_tx or 0) / 1e6,
                            (s.mbits_tx or 0) / 1e3))
    end
end

local t = 0
while seconds == 0 or t < seconds do
    pktgen.delay(1000)
    t = t + 1
    pcall(stats)
end
pktgen.stop(port)
-- Field names of portStats() differ between pktgen releases: best effort, never fatal.
pcall(function()
    local total = pktgen.portStats(port, "port")[tonumber(port)]
    print(string.format("siehub-replay: sent %d frames, %d bytes", total.opackets or 0,
                        total.obytes or 0))
end)
