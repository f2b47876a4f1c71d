-- Baseline: POST a small JSON body to a no-op endpoint (args: path).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   req = wrk.format("POST", args[1] or "/_cosell/noop", json_headers("GetOpportunity"),
                    '{"Catalog":"Sandbox","Identifier":"O1000000"}')
end

function request()
   return req
end
