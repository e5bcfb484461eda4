-- Authenticated GET /users/?length=100 with filters, one query per request,
-- taken in turn from BENCH_QUERIES (one query string a line).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local queries, headers
local n = 0

function init(args)
   bench.seed_random()
   queries = bench.lines(os.getenv("BENCH_QUERIES"))
   headers = bench.auth_headers()
   n = math.random(#queries)
end

function request()
   n = n % #queries + 1
   return wrk.format("GET", "/users/?" .. queries[n], headers)
end
