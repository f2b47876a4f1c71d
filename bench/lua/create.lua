-- CreateOpportunity; every request a fresh ClientToken (args: body file with __TOKEN__, run id).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   local body = read_file(args[1])
   local at = assert(string.find(body, "__TOKEN__", 1, true))
   before, after = string.sub(body, 1, at - 1), string.sub(body, at + 9)
   prefix = (args[2] or "run") .. "-" .. thread_id .. "-"
   headers = json_headers("CreateOpportunity")
   counter = 0
end

function request()
   counter = counter + 1
   return wrk.format("POST", "/", headers, before .. prefix .. counter .. after)
end
