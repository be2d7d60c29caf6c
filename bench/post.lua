-- The webhook every benchmark request sends: Bearer auth, a 110-byte JSON body.
wrk.method = "POST"
wrk.body = '{"event":"order.created","id":12345,"amount":42.5,"items":[{"sku":"A1","qty":2}],"ts":"2026-01-01T00:00:00Z"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"

-- One JSON line the runner parses: throughput, latency percentiles (ms), failures.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
