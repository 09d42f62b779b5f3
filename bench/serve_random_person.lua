-- wrk script for bench/serve.py: each request asks about a random person of the
-- generated export (P00000000 .. P{PERSONS-1}), on its last day.
local persons = tonumber(os.getenv("STAYAUDIT_PERSONS") or "1111111")
local seed = tonumber(os.getenv("STAYAUDIT_SEED") or "1")

function setup(thread)
  thread:set("id", seed)
  seed = seed + 1
end

function init(args)
  math.randomseed(id)
end

function request()
  return wrk.format("GET", string.format("/api/check?person=P%08d", math.random(0, persons - 1)))
end
