-- wrk: POST an upload request with the next token from $TOKENS each time.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
local body = '{"type":"profile","fileName":"avatar.jpg","contentType":"image/jpeg","size":48213}'
-- HEALTH=1: GET /healthz instead (the runtime's fixed cost per request).
local health = os.getenv("HEALTH") == "1"
request = function()
  if health then return wrk.format("GET", "/healthz") end
  i = i + 1
  local t = tokens[((i - 1) % #tokens) + 1]
  return wrk.format("POST", "/api/v1/s3/generatePreSignedURL",
    { ["Authorization"] = "Bearer " .. t, ["Content-Type"] = "application/json" }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
