-- ListOpportunities: a page of 20 Qualified opportunities, newest LastModifiedDate first.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function init(args)
   req = wrk.format("POST", "/", json_headers("ListOpportunities"),
      '{"Catalog":"Sandbox","LifeCycleStage":["Qualified"],' ..
      '"Sort":{"SortBy":"LastModifiedDate","SortOrder":"DESCENDING"},"MaxResults":20}')
end

function request()
   return req
end
