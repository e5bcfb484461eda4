-- Authenticated GET /users/{id}/ over many ids (BENCH_IDS: one id a line).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids, headers

function init(args)
   bench.seed_random()
   ids = bench.lines(os.getenv("BENCH_IDS"))
   headers = bench.auth_headers()
end

function request()
   return wrk.format("GET", "/users/" .. ids[math.random(#ids)] .. "/", headers)
end
