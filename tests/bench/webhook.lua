-- webhook.lua: wrk script posting valid Supabase INSERT webhooks, each for a distinct video.
-- Arguments (after --): RUN_ID SECRET. Prints one BENCH line with p50/p99 latency and error counts.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run = args[1] or tostring(os.time())
  secret = args[2] or "test-secret"
  counter = 0
  headers = { ["Authorization"] = "Bearer " .. secret, ["Content-Type"] = "application/json" }
end

function request()
  counter = counter + 1
  local vid = string.format("bench-%s-%d-%d", run, tid, counter)
  local body = string.format(
    '{"type":"INSERT","table":"videos","schema":"public","record":{"id":"%s","tenant_id":"bench-tenant",' ..
    '"storage_key":"bench-tenant/videos/%s.mp4","created_at":"2026-01-01T00:00:00Z"},"old_record":null}',
    vid, vid)
  return wrk.format("POST", "/webhooks/supabase/videos", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
