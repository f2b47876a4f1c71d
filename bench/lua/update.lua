-- UpdateOpportunity: each opportunity of the update block exactly once, with the block's stored
-- LastModifiedDate (args: body file with __ID__, first number of the block, block size, threads).
-- Thread t takes its own slice of the block; a thread that runs out stops (reported as exhausted).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   local body = read_file(args[1])
   local at = assert(string.find(body, "__ID__", 1, true))
   before, after = string.sub(body, 1, at - 1), string.sub(body, at + 6)
   local per = math.floor(tonumber(args[3]) / tonumber(args[4]))
   next_number = tonumber(args[2]) + thread_id * per
   last_number = next_number + per - 1
   headers = json_headers("UpdateOpportunity")
end

function request()
   if next_number > last_number then
      exhausted = true
      wrk.thread:stop()
      next_number = last_number  -- anything, the thread is stopping; a repeat answers 409
   end
   local body = before .. "O" .. next_number .. after
   next_number = next_number + 1
   return wrk.format("POST", "/", headers, body)
end
