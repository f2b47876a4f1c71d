-- Replays pre-signed requests (strict mode), round robin (args: file of lines
-- "target<TAB>x-amz-date<TAB>authorization<TAB>body", written by bench/run.py with botocore's SigV4Auth).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   reqs = {}
   for line in io.lines(args[1]) do
      local target, date, auth, body = string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = json_headers(target)
      headers["X-Amz-Date"] = date
      headers["Authorization"] = auth
      table.insert(reqs, wrk.format("POST", "/", headers, body))
   end
   i = thread_id * math.floor(#reqs / 2)
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
