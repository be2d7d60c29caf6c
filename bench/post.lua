-- The webhook every benchmark request sends: Bearer auth and a JSON body. Without environment
-- variables: the 110-byte body below (bench/reload-under-load, destinations, spool-recovery).
-- bench/run steers it with:
--   WG_BODY        the body to send (bench/run passes the same string it signs)
--   WG_BODY_BYTES  instead, a body of exactly this many bytes: {"data":"xxx...x"}
--   WG_SIGNATURE   sent as X-Hub-Signature-256 (GitHub's "sha256=<hex>"), for an hmac webhook
local body_bytes = tonumber(os.getenv("WG_BODY_BYTES") or "")
local body = os.getenv("WG_BODY")
if body_bytes then
  local frame = '{"data":""}'
  body = '{"data":"' .. string.rep("x", body_bytes - #frame) .. '"}'
elseif body == nil or body == "" then
  body = '{"event":"order.created","id":12345,"amount":42.5,"items":[{"sku":"A1","qty":2}],"ts":"2026-01-01T00:00:00Z"}'
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
local signature = os.getenv("WG_SIGNATURE")
if signature ~= nil and signature ~= "" then
  wrk.headers["X-Hub-Signature-256"] = signature
end

-- One JSON line the runner parses: throughput, latency percentiles (ms), failures, body size.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"socket_errors":%d,"body_bytes":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, #body))
end
