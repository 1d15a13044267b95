-- wrk: one OFREP single-flag evaluation per request, a new unit each time.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/ofrep/v1/evaluate/flags/checkout.retry.limit", nil, '{"context":{"targetingKey":"wrk-' .. n .. '"}}')
end
