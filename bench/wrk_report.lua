-- wrk script of bench/public_page.py: prints one machine-readable line of figures when the run ends, and with the
-- argument `unique <prefix>` (wrk ... -s bench/wrk_report.lua URL -- unique <prefix>) gives every request its own
-- search term, ?q=<prefix>-<thread>-<n>, so no request is answered from the page cache.

local threads = {}
local counter = 0
local mode, prefix

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode, prefix = args[1], args[2]
end

function request()
  if mode ~= "unique" then
    return wrk.format(nil, wrk.path)
  end
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "q=" .. prefix .. "-" .. id .. "-" .. counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, '
      .. '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
