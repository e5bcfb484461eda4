-- SCIM GET requests as an identity provider makes them, with the API key in
-- BENCH_SCIM_KEY, taken in turn from BENCH_QUERIES (one path a line, under
-- /scim/v2).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local paths, headers
local n = 0

function init(args)
   bench.seed_random()
   paths = bench.lines(os.getenv("BENCH_QUERIES"))
   headers = {
      ["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_SCIM_KEY"), "BENCH_SCIM_KEY unset"),
      ["Accept"] = "application/scim+json",
   }
   n = math.random(#paths)
end

function request()
   n = n % #paths + 1
   return wrk.format("GET", "/scim/v2" .. paths[n], headers)
end
