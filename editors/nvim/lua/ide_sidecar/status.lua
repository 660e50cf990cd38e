-- How a connection's status is shown: symbols, labels, the overall state and event messages. Pure functions over the
-- decoded JSON (tables), so the headless test checks them directly.
local protocol = require("ide_sidecar.protocol")

local M = {}

M.symbols = {
  ATTEMPTING = "…",
  SUCCESS = "✓",
  FAILED = "⚠",
  EXPIRED = "⌛",
  NONE = "○",
}

M.labels = {
  ATTEMPTING = "connecting…",
  SUCCESS = "connected",
  FAILED = "failed",
  EXPIRED = "expired: sign in again",
  NONE = "not connected",
}

M.component_labels = {
  ccloud = "Confluent Cloud",
  kafka_cluster = "Kafka cluster",
  schema_registry = "Schema Registry",
}

local ORDER = { "ccloud", "kafka_cluster", "schema_registry" }
-- The overall state is the one needing attention most; SUCCESS only when every component succeeded.
local PRECEDENCE = { "FAILED", "EXPIRED", "ATTEMPTING", "NONE", "SUCCESS" }

--- A value that is really there: JSON null may decode to vim.NIL.
local function present(value)
  return value ~= nil and value ~= vim.NIL
end
M.present = present

--- The first error message of a component (sign-in, token refresh, then the check), or nil.
function M.first_error(component)
  local errors = component.errors
  if not present(errors) then
    return nil
  end
  for _, phase in ipairs({ "sign_in", "token_refresh", "auth_status_check" }) do
    if present(errors[phase]) then
      return errors[phase].message
    end
  end
  return nil
end

--- The components a connection has, in a fixed order: { key, label, state, error?, detail? }.
function M.components(connection)
  local out = {}
  local status = connection.status or {}
  for _, key in ipairs(ORDER) do
    local component = status[key]
    if present(component) then
      local detail
      if key == "kafka_cluster" and present(component.cluster_id) then
        detail = "cluster " .. component.cluster_id
      elseif key == "ccloud" and present(component.user) and present(component.user.username) then
        detail = "signed in as " .. component.user.username
      elseif key == "ccloud" and component.state == "NONE" then
        detail = "sign in: s in the list, or :IdeSidecarSignIn " .. tostring(connection.id)
      end
      table.insert(out, {
        key = key,
        label = M.component_labels[key],
        state = component.state,
        error = M.first_error(component),
        detail = detail,
      })
    end
  end
  return out
end

function M.overall(connection)
  local seen = {}
  local any = false
  for _, component in ipairs(M.components(connection)) do
    seen[component.state] = true
    any = true
  end
  if not any then
    return "NONE"
  end
  for _, state in ipairs(PRECEDENCE) do
    if seen[state] then
      return state
    end
  end
  return "NONE"
end

--- "connected (cluster x)" or "failed: why".
function M.describe_component(component)
  local label = M.labels[component.state] or component.state
  if component.error then
    return label .. ": " .. component.error
  elseif component.detail then
    return label .. " (" .. component.detail .. ")"
  end
  return label
end

--- "Dev: Kafka cluster connected (cluster x); Schema Registry failed: why".
function M.summary(connection)
  local parts = {}
  for _, component in ipairs(M.components(connection)) do
    table.insert(parts, component.label .. " " .. M.describe_component(component))
  end
  if #parts == 0 then
    return connection.spec.name .. ": nothing to check"
  end
  return connection.spec.name .. ": " .. table.concat(parts, "; ")
end

M.highlights = {
  SUCCESS = "IdeSidecarConnected",
  FAILED = "IdeSidecarFailed",
  ATTEMPTING = "IdeSidecarConnecting",
  EXPIRED = "IdeSidecarExpired",
  NONE = "IdeSidecarNotConnected",
}

--- The lines of the connections list, for each line the connection id it is about, the highlights:
--- { line (0-based), from, to (byte columns), group }: the title, and each state's symbol and label, and for each
--- line of `children(connection)` (lines shown under an expanded connection: { text, target?, group? }) its target.
function M.render(connections, title, problem, children)
  local lines = { title, "" }
  local ids = {}
  local targets = {}
  local marks = { { line = 0, from = 0, to = #title, group = "IdeSidecarTitle" } }
  local function mark(from, to, state)
    table.insert(marks, { line = #lines - 1, from = from, to = to, group = M.highlights[state] or "IdeSidecarNotConnected" })
  end
  if problem then
    table.insert(lines, problem)
    mark(0, #problem, "FAILED")
  elseif #connections == 0 then
    table.insert(lines, "No connections yet: press a to add a direct connection, c for Confluent Cloud.")
  end
  for _, connection in ipairs(connections) do
    local state = M.overall(connection)
    local symbol, label = M.symbols[state] or "?", M.labels[state] or state
    local line = string.format("%s %s  [%s]  %s  %s", symbol, connection.spec.name, connection.id, connection.spec.type, label)
    table.insert(lines, line)
    ids[#lines] = connection.id
    mark(0, #symbol, state)
    mark(#line - #label, #line, state)
    for _, component in ipairs(M.components(connection)) do
      local component_symbol = M.symbols[component.state] or "?"
      local head = string.format("    %s %-16s ", component_symbol, component.label)
      table.insert(lines, head .. M.describe_component(component))
      ids[#lines] = connection.id
      mark(4, 4 + #component_symbol, component.state)
      mark(#head, #head + #(M.labels[component.state] or component.state), component.state)
    end
    for _, child in ipairs(children and children(connection) or {}) do
      table.insert(lines, child.text)
      ids[#lines] = connection.id
      targets[#lines] = child.target
      if child.group then
        table.insert(marks, { line = #lines - 1, from = 0, to = #child.text, group = child.group })
      end
    end
  end
  return lines, ids, marks, targets
end

--- The message and vim.log.levels level for a connections/event.
function M.event_message(event)
  local connection = event.connection
  local levels = vim.log.levels
  if event.action == "DELETED" then
    return string.format("ide-sidecar: %s deleted", connection.spec.name), levels.INFO
  elseif event.action == "CREATED" or event.action == "UPDATED" then
    local checking = M.overall(connection) == "ATTEMPTING" and ", checking…" or ""
    return string.format("ide-sidecar: %s %s%s", connection.spec.name, event.action == "CREATED" and "added" or "changed", checking), levels.INFO
  end
  local state = M.overall(connection)
  local level = (state == "FAILED" or state == "EXPIRED" or event.action == "DISCONNECTED") and levels.WARN or levels.INFO
  return "ide-sidecar: " .. M.summary(connection), level
end

--- The outcome of a dry run: passed when every component succeeded.
function M.test_outcome(connection)
  local components = M.components(connection)
  local passed = #components > 0
  for _, component in ipairs(components) do
    if component.state ~= "SUCCESS" then
      passed = false
    end
  end
  return passed, M.summary(connection)
end

--- A JSON-RPC error as a sentence, listing every validation problem with its field.
function M.describe_error(action, err)
  if type(err) ~= "table" then
    return string.format("Could not %s: %s", action, tostring(err))
  end
  local data = err.data
  if err.code == protocol.errors.invalidParams and present(data) and type(data.errors) == "table" and #data.errors > 0 then
    local problems = {}
    for _, problem in ipairs(data.errors) do
      local source = present(problem.source) and problem.source ~= "" and (problem.source .. ": ") or ""
      table.insert(problems, source .. problem.detail)
    end
    return string.format("Could not %s: %s", action, table.concat(problems, "; "))
  end
  return string.format("Could not %s: %s", action, err.message or vim.inspect(err))
end

return M
