-- How records, starts and produce results are written as text: pure functions over the decoded JSON (tables), so the
-- headless test checks them directly. A record is one JSON line, in a fixed field order and with object keys sorted
-- (as the sidecar sends them), so that lines read the same in every session and diff well.
local M = {}

local function is_list(value)
  return (vim.islist or vim.tbl_islist)(value)
end

--- JSON text of a decoded value with object keys sorted. Integers are written whole (offsets and timestamps would
--- otherwise turn into 1.765e+12 on Neovim 0.7).
function M.encode(value)
  local kind = type(value)
  if value == nil or value == vim.NIL then
    return "null"
  elseif kind == "number" then
    if value == math.floor(value) and math.abs(value) < 2 ^ 53 then
      return string.format("%d", value)
    end
    return vim.json.encode(value)
  elseif kind == "string" or kind == "boolean" then
    return vim.json.encode(value)
  elseif kind == "table" then
    if next(value) == nil then
      return getmetatable(value) == getmetatable(vim.empty_dict()) and "{}" or "[]"
    end
    local parts = {}
    if is_list(value) then
      for _, item in ipairs(value) do
        table.insert(parts, M.encode(item))
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = vim.tbl_keys(value)
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, key in ipairs(keys) do
      table.insert(parts, vim.json.encode(tostring(key)) .. ":" .. M.encode(value[key]))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return vim.json.encode(tostring(value))
end

-- The order of a record's fields on its line: where it is first, then what it holds.
local RECORD_FIELDS = { "partition", "offset", "timestamp", "timestamp_type", "key", "value", "headers" }
local DATA_FIELDS = { "format", "schema_id", "data", "truncated", "size", "error" }

local function ordered(value, fields)
  if type(value) ~= "table" then
    return M.encode(value)
  end
  local parts, seen = {}, {}
  for _, field in ipairs(fields) do
    seen[field] = true
    if value[field] ~= nil then
      local text = (field == "key" or field == "value") and ordered(value[field], DATA_FIELDS) or M.encode(value[field])
      table.insert(parts, vim.json.encode(field) .. ":" .. text)
    elseif field == "data" and value.format == "NULL" then
      -- Neovim's LSP client drops null members: a NULL key or value still says so.
      table.insert(parts, '"data":null')
    end
  end
  local rest = {}
  for key in pairs(value) do
    if not seen[key] then
      table.insert(rest, key)
    end
  end
  table.sort(rest)
  for _, key in ipairs(rest) do
    table.insert(parts, vim.json.encode(key) .. ":" .. M.encode(value[key]))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- One record as one JSON line: partition, offset, timestamp, timestamp_type, key, value, headers (a key's or
--- value's decode error is in its "error").
function M.line(record)
  return ordered(record, RECORD_FIELDS)
end

--- The `start` of kafka/records/consume for what a user typed, or nil and why. `now_ms` is the current time.
--- beginning, end, latest (nil start: the last records of each partition), a time (YYYY-MM-DD[THH:MM[:SS]], UTC),
--- milliseconds since the epoch (13 digits), a time ago (-15m, -2h, -1d), or offsets (P:O[,P:O...], or one offset for
--- partition 0).
function M.parse_start(text, now_ms)
  text = vim.trim(text or "")
  if text == "" or text == "latest" then
    return nil, nil, "the latest records"
  elseif text == "beginning" or text == "end" then
    return { from = text }, nil, "the " .. text
  end
  local amount, unit = text:match("^%-(%d+)([smhd])$")
  if amount then
    local scale = ({ s = 1000, m = 60000, h = 3600000, d = 86400000 })[unit]
    local at = now_ms - tonumber(amount) * scale
    return { from = "timestamp", timestamp = at }, nil, text:sub(2) .. " ago"
  end
  if text:match("^%d%d%d%d%d%d%d%d%d%d%d%d%d$") then
    return { from = "timestamp", timestamp = tonumber(text) }, nil, "timestamp " .. text
  end
  local y, mo, d, rest = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if y then
    local h, mi, s = 0, 0, 0
    if rest ~= "" and rest ~= "Z" then
      local hh, mm, ss = rest:match("^[T ](%d%d):(%d%d):?(%d?%d?)Z?$")
      if not hh then
        return nil, "cannot read the time '" .. text .. "': write it as YYYY-MM-DDTHH:MM:SS (UTC)"
      end
      h, mi, s = tonumber(hh), tonumber(mm), tonumber(ss) or 0
    end
    -- Days since the epoch of a civil date (Howard Hinnant's algorithm): os.time would use the local zone.
    local year, month, day = tonumber(y), tonumber(mo), tonumber(d)
    if month < 1 or month > 12 or day < 1 or day > 31 or h > 23 or mi > 59 or s > 59 then
      return nil, "cannot read the time '" .. text .. "': a month, day or hour is out of range"
    end
    year = month <= 2 and year - 1 or year
    local era = math.floor(year / 400)
    local yoe = year - era * 400
    local doy = math.floor((153 * (month + (month > 2 and -3 or 9)) + 2) / 5) + day - 1
    local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
    local days = era * 146097 + doe - 719468
    local ms = ((days * 24 + h) * 60 + mi) * 60000 + s * 1000
    return { from = "timestamp", timestamp = ms }, nil, text .. " UTC"
  end
  if text:match("^%d+$") then
    return { from = "offsets", offsets = { { partition = 0, offset = tonumber(text) } } }, nil, "offset " .. text .. " of partition 0"
  end
  local offsets = {}
  for item in text:gmatch("[^,%s]+") do
    local partition, offset = item:match("^(%d+):(%d+)$")
    if not partition then
      return nil, "cannot read '" .. text .. "': use beginning, end, latest, a time (2024-05-01T12:00), -15m, or partition:offset such as 0:42,1:7"
    end
    table.insert(offsets, { partition = tonumber(partition), offset = tonumber(offset) })
  end
  return { from = "offsets", offsets = offsets }, nil, "offsets " .. text
end

--- Whether every partition of a page is at its end.
function M.at_end(page)
  for _, partition in ipairs(page.partitions or {}) do
    if not partition.at_end then
      return false
    end
  end
  return true
end

--- The cursor after records a tail delivered: each partition continues after its newest record seen.
function M.advance(cursor, records)
  if not cursor then
    return nil
  end
  local next_offset = {}
  for _, record in ipairs(records) do
    next_offset[record.partition] = math.max(next_offset[record.partition] or 0, record.offset + 1)
  end
  for _, partition in ipairs(cursor.partitions or {}) do
    local seen = next_offset[partition.partition]
    if seen and seen > partition.offset then
      partition.offset = seen
      partition.not_before = nil
    end
  end
  return cursor
end

--- The params of kafka/records/produce from a buffer's text: the document is those params ({"records": [...]},
--- optionally with topic and connection_id), `target` fills what it lacks. Returns params, or nil and why.
function M.produce_params(text, target)
  local ok, document = pcall(vim.json.decode, text)
  if not ok then
    return nil, "the buffer is not JSON (" .. tostring(document):gsub("^.-:%d+: ", "") .. "): write {\"records\": [{\"key\": ..., \"value\": ...}]}"
  end
  if type(document) ~= "table" then
    return nil, "the buffer holds no JSON object: write {\"records\": [{\"key\": ..., \"value\": ...}]}"
  end
  if is_list(document) then
    -- A bare array is the records themselves.
    document = { records = document }
  end
  if type(document.records) ~= "table" or next(document.records) == nil then
    return nil, "the document has no records: write {\"records\": [{\"key\": ..., \"value\": ...}]}"
  end
  -- A shallow copy: vim.deepcopy cannot copy vim.NIL (a tombstone's null) on Neovim 0.7.
  local params = {}
  for key, value in pairs(document) do
    params[key] = value
  end
  params.dry_run = nil
  for _, field in ipairs({ "connection_id", "topic" }) do
    if params[field] == nil or params[field] == vim.NIL then
      params[field] = target and target[field] or nil
    end
  end
  if not params.connection_id or not params.topic then
    return nil, "which topic? give it as :IdeSidecarProduce {connection} {topic}, or as \"connection_id\" and \"topic\" in the document"
  end
  return params
end

local function plural(count, one, many)
  return string.format("%d %s", count, count == 1 and one or many)
end

--- The lines showing a produce result, one per record, and how many records were ok.
function M.produce_report(result, dry_run)
  local lines, ok = {}, 0
  for index, produced in ipairs(result.records or {}) do
    local name = string.format("records[%d]", index - 1)
    if type(produced.error) == "table" then
      local source = produced.error.source
      local at = (type(source) == "string" and source ~= "") and (" at " .. source) or ""
      table.insert(lines, string.format("%s: error%s: %s", name, at, tostring(produced.error.message)))
    else
      ok = ok + 1
      local sizes = string.format("key %s, value %s", plural(produced.key_size or 0, "byte", "bytes"), plural(produced.value_size or 0, "byte", "bytes"))
      if dry_run then
        table.insert(lines, string.format("%s: ok (%s)", name, sizes))
      else
        table.insert(lines, string.format("%s: partition %s, offset %s, timestamp %s (%s)", name, tostring(produced.partition), M.encode(produced.offset), M.encode(produced.timestamp), sizes))
      end
    end
  end
  return lines, ok
end

--- The list's line for a topic.
function M.topic_line(topic)
  return string.format("%s  (%s)", topic.name, plural(topic.partitions_count or 0, "partition", "partitions"))
end

--- The list's line for a consumer group, with its total lag when a lag watch has reported it.
function M.group_line(group, lag)
  local text = string.format("%s  %s, %s", group.group_id, tostring(group.state), plural(group.members_count or 0, "member", "members"))
  if lag and lag.gone then
    return text .. ", gone"
  elseif lag then
    return text .. ", lag " .. M.encode(lag.total_lag)
  end
  return text
end

return M
