-- Fixed-rate load for wrk (C, one event loop): every request is given a slot on one schedule,
-- start + k / rate, and wrk's delay() holds each connection until its request's slot. The generator is never
-- the bottleneck the Node one was on a busy core; a request whose slot had passed by more than 1 ms when
-- its connection became free is counted as late (all connections were busy: the server stalled), and sent
-- at once. wrk measures each latency from the moment the request is written.
--
-- Usage: wrk -t1 -c<connections> -d<seconds>s -s paced.lua <url> -- <rate/s> <host-header>
-- Prints one line `PACED {json}` with requests, errors, late, paced, and latency percentiles in ms.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } nodemesh_timespec;
  int clock_gettime(int clock, nodemesh_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("nodemesh_timespec[1]")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock[0].tv_sec) * 1000 + tonumber(clock[0].tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Per thread (wrk runs this script once per thread): its share of the rate.
interval = 1
start = nil
paced = 0
late = 0

function init(args)
  local rate = tonumber(args[1])
  interval = 1000 / rate
  wrk.headers["Host"] = args[2]
end

function delay()
  local now = now_ms()
  if start == nil then
    start = now
  end
  local slot = start + paced * interval
  paced = paced + 1
  local wait = slot - now
  if wait < -1 then
    late = late + 1
  end
  if wait <= 0 then
    return 0
  end
  -- wrk's timers count whole milliseconds.
  return math.floor(wait + 0.5)
end

function done(summary, latency, requests)
  local total_late, total_paced = 0, 0
  for _, thread in ipairs(threads) do
    total_late = total_late + thread:get("late")
    total_paced = total_paced + thread:get("paced")
  end
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.status + errors.timeout
  local p = function(q)
    return latency:percentile(q) / 1000
  end
  io.write(string.format(
    'PACED {"requests":%d,"errors":%d,"late":%d,"paced":%d,"p0":%.3f,"p50":%.3f,"p75":%.3f,"p90":%.3f,' ..
      '"p95":%.3f,"p99":%.3f,"p995":%.3f,"p999":%.3f,"p9995":%.3f,"p9999":%.3f,"max":%.3f}\n',
    summary.requests, failed, total_late, total_paced, latency.min / 1000, p(50), p(75), p(90), p(95), p(99),
    p(99.5), p(99.9), p(99.95), p(99.99), latency.max / 1000))
end
