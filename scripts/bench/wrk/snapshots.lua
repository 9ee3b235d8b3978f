-- POST batches of `size` new storage snapshots (unique ids per run, thread and request;
-- measured within the last weeks, every school in turn).
-- Args: path tag schools_file base_epoch size expected_substring [token]
dofile("scripts/bench/wrk/common.lua")

local path, tag, schools, base, size, expected
local headers = {["Content-Type"] = "application/json"}
local n = 0

function init(args)
  path, tag = args[1], args[2]
  schools = lines(args[3])
  base, size, expected = tonumber(args[4]), tonumber(args[5]), args[6]
  if args[7] ~= nil and args[7] ~= "" then headers["Authorization"] = "Bearer " .. args[7] end
end

function request()
  n = n + 1
  local me = tonumber(id) or 0
  local parts = {}
  local per = #schools
  for k = 0, size - 1 do
    local t = base + ((me * 400000 + n * 60 + math.floor(k / per)) % 1500000)
    parts[k + 1] = string.format(
      '{"snapshot_id":"%s-%d-%d-%d","school_code":"%s","measured_at":"%s",' ..
      '"bytes_used":%d,"files_count":%d,"bytes_backup":%d}',
      tag, me, n, k, schools[(k % per) + 1], os.date("!%Y-%m-%dT%H:%M:%SZ", t),
      10000000000 + ((n * 7919 + k * 104729) % 8000000000), 20000 + k, 1000000000)
  end
  return wrk.format("POST", path, headers, '{"items":[' .. table.concat(parts, ",") .. ']}')
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, expected, 1, true) then bad = bad + 1 end
end
