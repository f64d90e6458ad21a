-- Print the exact latency percentiles the web benchmark reports (microseconds).
done = function(summary, latency, requests)
  io.write(string.format("SUMMIT p50=%d p95=%d p99=%d requests=%d errors=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
