-- Shared by every benchmark script: thread ids, non-2xx counting, and a done() that prints one JSON
-- line (prefix WRK_JSON) for bench/run.py. Loaded with dofile() from each script's own directory.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

non_2xx = 0
first_error = nil
exhausted = false

function response(status, headers, body)
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
      if first_error == nil then
         first_error = status .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

function json_headers(target)
   return {["Content-Type"] = "application/x-amz-json-1.0",
           ["X-Amz-Target"] = "AWSPartnerCentralSelling." .. target}
end

function read_file(path)
   local file = assert(io.open(path, "rb"))
   local text = file:read("*a")
   file:close()
   return text
end

local function quote(text)
   text = string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
   return '"' .. text .. '"'
end

function done(summary, latency, requests)
   local errors, exhausted_threads, non2xx = {}, 0, 0
   for _, thread in ipairs(threads) do
      non2xx = non2xx + (thread:get("non_2xx") or 0)
      if thread:get("exhausted") then exhausted_threads = exhausted_threads + 1 end
      local first = thread:get("first_error")
      if first then table.insert(errors, quote(first)) end
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"mean_us":%.1f,"non_2xx":%d,"status_errors":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"timeouts":%d,"exhausted_threads":%d,"first_errors":[%s]}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, non2xx, e.status, e.connect, e.read, e.write,
      e.timeout, exhausted_threads, table.concat(errors, ",")))
end
