-- Authenticated PATCH /users/{id}/ over many ids: a new name each time.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids, headers
local n = 0

function init(args)
   bench.seed_random()
   ids = bench.lines(os.getenv("BENCH_IDS"))
   headers = bench.auth_headers()
   headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local body = string.format('{"name": "Bench Person %d"}', n % 100000)
   return wrk.format("PATCH", "/users/" .. ids[math.random(#ids)] .. "/", headers, body)
end
