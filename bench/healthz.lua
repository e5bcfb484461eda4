-- GET /healthz: the ceiling (no database, no authentication).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.path = "/healthz"
