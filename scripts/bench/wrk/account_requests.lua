-- POST one new account-creation request per call (a trainer: unique ticket per run,
-- thread and request), with an Idempotency-Key when asked.
-- Args: path tag schools_file idempotency(0|1) [token]
dofile("scripts/bench/wrk/common.lua")

local path, tag, schools, idempotent
local n = 0
local token

function init(args)
  path, tag = args[1], args[2]
  schools = lines(args[3])
  idempotent = args[4] == "1"
  if args[5] ~= nil and args[5] ~= "" then token = "Bearer " .. args[5] end
end

function request()
  n = n + 1
  local me = tonumber(id) or 0
  local ticket = string.format("%s-%d-%d", tag, me, n)
  local headers = {["Content-Type"] = "application/json"}
  if token then headers["Authorization"] = token end
  if idempotent then headers["Idempotency-Key"] = ticket end
  local body = string.format(
    '{"ticket_ref":"%s","school_code":"%s","kind":"trainer","given_name":"Camille",' ..
    '"family_name":"Martin-%d","email":"camille.martin.%s@ifsi.example.fr"}',
    ticket, schools[(n % #schools) + 1], n, ticket)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
