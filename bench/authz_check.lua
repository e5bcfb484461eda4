-- POST /authz/check/ with a 10-check batch about a random user (BENCH_IDS),
-- at the organization, a team (BENCH_TEAM) and a target (BENCH_TARGET).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids, headers, checks

function init(args)
   bench.seed_random()
   ids = bench.lines(os.getenv("BENCH_IDS"))
   headers = bench.auth_headers()
   headers["Content-Type"] = "application/json"
   local team = assert(os.getenv("BENCH_TEAM"), "BENCH_TEAM unset")
   local target = assert(os.getenv("BENCH_TARGET"), "BENCH_TARGET unset")
   checks = table.concat({
      '{"permission": "users.view"}',
      '{"permission": "users.manage"}',
      '{"permission": "audit.view"}',
      '{"permission": "targets.view", "target": "' .. target .. '"}',
      '{"permission": "targets.manage", "target": "' .. target .. '"}',
      '{"permission": "teams.manage", "team": "' .. team .. '"}',
      '{"permission": "users.manage", "team": "' .. team .. '"}',
      '{"permission": "roles.grant", "team": "' .. team .. '"}',
      '{"permission": "keys.manage"}',
      '{"permission": "access_review.view"}',
   }, ", ")
end

function request()
   local body = '{"subject": "' .. ids[math.random(#ids)] .. '", "checks": [' .. checks .. ']}'
   return wrk.format("POST", "/authz/check/", headers, body)
end
