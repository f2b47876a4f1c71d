-- GetOpportunity of random seeded ids (args: first number, how many).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   first, count = tonumber(args[1]), tonumber(args[2])
   headers = json_headers("GetOpportunity")
   math.randomseed(os.time() + 7919 * thread_id)
end

function request()
   local id = first + math.random(0, count - 1)
   return wrk.format("POST", "/", headers, '{"Catalog":"Sandbox","Identifier":"O' .. id .. '"}')
end
