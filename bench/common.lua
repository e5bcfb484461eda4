-- Shared by the bench scripts: the token, an id list, and one summary line
-- that run.sh parses. Loaded with dofile(os.getenv("BENCH_DIR") .. "/common.lua").

bench = {}

function bench.lines(path)
   local list = {}
   local f = assert(io.open(path, "r"), "cannot open " .. path)
   for line in f:lines() do
      if #line > 0 then list[#list + 1] = line end
   end
   f:close()
   assert(#list > 0, path .. " is empty")
   return list
end

function bench.auth_headers()
   return {
      ["Authorization"] = "JWT " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN unset"),
      ["Accept"] = "application/json",
   }
end

-- Each wrk thread gets its own random sequence.
local seeded = false
function bench.seed_random()
   if not seeded then
      math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
      seeded = true
   end
end

-- One parseable line: requests/s, p50 and p99 in microseconds, responses
-- with a status >= 400 and socket errors.
function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format("BENCH rps=%.1f p50=%d p99=%d requests=%d non2xx=%d sockerr=%d\n",
      summary.requests / secs, latency:percentile(50), latency:percentile(99),
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
