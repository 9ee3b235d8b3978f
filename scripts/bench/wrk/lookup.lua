-- GET <prefix><uid><suffix>, uids rotating over a list file, and bearer tokens rotating
-- over another when given.  Args: prefix suffix uids_file [tokens_file]
dofile("scripts/bench/wrk/common.lua")

local uids, tokens = {}, {}
local prefix, suffix
local n = 0

function init(args)
  prefix, suffix = args[1], args[2]
  uids = lines(args[3])
  if args[4] ~= nil and args[4] ~= "" then tokens = lines(args[4]) end
  n = (tonumber(id) or 0) * 7919
end

function request()
  n = n + 1
  local headers = {}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]
  end
  return wrk.format("GET", prefix .. uids[(n % #uids) + 1] .. suffix, headers)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
