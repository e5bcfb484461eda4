-- POST /auth/obtain/ with the benchmark owner's credentials.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local body, headers

function init(args)
   body = string.format('{"username": "%s", "password": "%s"}',
      os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
   headers = { ["Content-Type"] = "application/json" }
end

function request()
   return wrk.format("POST", "/auth/obtain/", headers, body)
end
