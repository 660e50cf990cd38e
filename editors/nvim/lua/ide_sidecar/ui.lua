-- The user commands, the prompts of :IdeSidecarAdd and the connections list buffer (kept up to date from events).
local status = require("ide_sidecar.status")
local spec_builder = require("ide_sidecar.spec")

local M = {}

local LIST_NAME = "ide-sidecar://connections"
local HELP = "<CR> details/records/schema  o topics/subjects  p produce  a add  c cloud  e edit  t test  r refresh  d delete  s sign in  R reload  q close"
-- Line number -> connection id, for the list buffer's keys.
local line_ids = {}
-- Line number -> what a line under an expanded connection is about: { topic = name }, { group = id } or
-- { subject = name, version = n }.
local line_targets = {}
-- Connections expanded in the list (o): id -> { topics?, groups?, topics_error?, groups_error?, watch_id?,
-- lag = { group_id -> the last kafka/lag }, has_kafka, has_registry, subjects? = { { subject, versions?, error? } },
-- subjects_error? }.
local expanded = {}

local function sidecar()
  return require("ide_sidecar")
end

--- Every message goes through the plugin's say(), which puts the "ide-sidecar: " prefix on it.
local function notify(message, level)
  sidecar().say(message, level)
end

-- The list's highlight groups, linked (as defaults a colorscheme or the user may override) to standard groups;
-- DiagnosticOk is 0.9+, so 0.7 and 0.8 get MoreMsg (green in the default colors).
local NAMESPACE = vim.api.nvim_create_namespace("ide_sidecar")
M.namespace = NAMESPACE
local function first_existing(...)
  for _, name in ipairs({ ... }) do
    if vim.fn.hlexists(name) == 1 then
      return name
    end
  end
  return select(select("#", ...), ...)
end
function M.define_highlights()
  local links = {
    IdeSidecarConnected = first_existing("DiagnosticOk", "MoreMsg"),
    IdeSidecarFailed = first_existing("DiagnosticError", "ErrorMsg"),
    IdeSidecarConnecting = first_existing("DiagnosticWarn", "WarningMsg"),
    IdeSidecarExpired = first_existing("DiagnosticWarn", "WarningMsg"),
    IdeSidecarNotConnected = "Comment",
    IdeSidecarTitle = "Title",
  }
  for group, target in pairs(links) do
    vim.cmd(string.format("highlight default link %s %s", group, target))
  end
end

local function list_buffer()
  local bufnr = vim.fn.bufnr(LIST_NAME)
  if bufnr ~= -1 and vim.api.nvim_buf_is_valid(bufnr) then
    return bufnr
  end
  return nil
end

--- Stops an expanded connection's lag watch.
local function stop_watch(entry)
  if entry.watch_id then
    sidecar().unwatch_lag(entry.watch_id)
    entry.watch_id = nil
  end
end

--- Redraws the list buffer, if there is one.
function M.rerender()
  -- A deleted connection (or every one, when the sidecar stopped) is no longer expanded. Its watch is stopped only
  -- while the sidecar runs: a request now would start a stopped one.
  for id, entry in pairs(expanded) do
    if not sidecar().get(id) then
      if sidecar().is_ready() then
        stop_watch(entry)
      end
      expanded[id] = nil
    end
  end
  local bufnr = list_buffer()
  if not bufnr then
    return
  end
  local lines, ids, marks, targets = status.render(sidecar().connections(), "Kafka connections (" .. sidecar().server_version() .. ")   " .. HELP, sidecar().problem(), M.children)
  line_ids, line_targets = ids, targets
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.api.nvim_buf_clear_namespace(bufnr, NAMESPACE, 0, -1)
  for _, mark in ipairs(marks) do
    vim.api.nvim_buf_set_extmark(bufnr, NAMESPACE, mark.line, mark.from, { end_col = mark.to, hl_group = mark.group })
  end
end

--- The lines of the list buffer (for tests), or nil when it is not open.
function M.list_lines()
  local bufnr = list_buffer()
  return bufnr and vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) or nil
end

local function id_under_cursor()
  return line_ids[vim.api.nvim_win_get_cursor(0)[1]]
end

-- q in the list's windows (defined with the windows' helpers below).
local close_window

--- The lines under an expanded connection: its topics (with partition counts) and consumer groups (with the total
--- lag its lag watch reported last), and with a Schema Registry its subjects and their versions.
function M.children(connection)
  local entry = expanded[connection.id]
  if not entry then
    return {}
  end
  local records = require("ide_sidecar.records")
  local out = {}
  local function section(title, items, err, line_of, target_of)
    if err then
      table.insert(out, { text = "    " .. title .. ": " .. err, group = "IdeSidecarFailed" })
    elseif not items then
      table.insert(out, { text = "    " .. title .. ": loading…", group = "IdeSidecarNotConnected" })
    else
      table.insert(out, { text = string.format("    %s (%d)", title, #items), group = "IdeSidecarTitle" })
      for _, item in ipairs(items) do
        table.insert(out, { text = "      " .. line_of(item), target = target_of(item) })
      end
    end
  end
  if entry.has_kafka then
    section("Topics", entry.topics, entry.topics_error, records.topic_line, function(topic) return { topic = topic.name } end)
    section("Consumer groups", entry.groups, entry.groups_error, function(group)
      return records.group_line(group, entry.lag[group.group_id])
    end, function(group) return { group = group.group_id } end)
  end
  if entry.has_registry then
    -- A subject's line, then one line per version (<CR> opens it read-only).
    local lines = {}
    for _, item in ipairs(entry.subjects or {}) do
      table.insert(lines, { text = item.subject .. (item.error and ("  " .. item.error) or (item.versions and "" or "  loading…")) })
      for _, version in ipairs(item.versions or {}) do
        table.insert(lines, { text = "  version " .. version, target = { subject = item.subject, version = version } })
      end
    end
    section("Schema subjects", entry.subjects and lines or nil, entry.subjects_error, function(line) return line.text end, function(line) return line.target end)
    -- The heading counts subjects, not lines.
    for _, line in ipairs(out) do
      if line.text:find("^    Schema subjects %(") then
        line.text = string.format("    Schema subjects (%d)", #entry.subjects)
      end
    end
  end
  return out
end

--- Whether a connection has a Kafka cluster, and a Schema Registry, to list (LOCAL finds both itself).
local function parts_of(id)
  local connection = sidecar().get(id)
  local spec = connection and connection.spec or {}
  return spec.kafka_cluster ~= nil or spec.type == "LOCAL", spec.schema_registry ~= nil or spec.type == "LOCAL"
end

--- Reads a connection's schema subjects and each one's versions (schemas/subjects/list, schemas/versions/list).
local function load_subjects(id, entry, still)
  sidecar().request("schemas/subjects/list", { connection_id = id }, function(err, result)
    if not still() then
      return
    end
    entry.subjects_error = err and (err.message or tostring(err)) or nil
    entry.subjects = nil
    if not err then
      entry.subjects = vim.tbl_map(function(subject) return { subject = subject } end, result.data)
    end
    M.rerender()
    for _, item in ipairs(entry.subjects or {}) do
      sidecar().request("schemas/versions/list", { connection_id = id, subject = item.subject }, function(verr, versions)
        if still() then
          item.error = verr and (verr.message or tostring(verr)) or nil
          item.versions = not verr and versions.data or nil
          M.rerender()
        end
      end)
    end
  end)
end

--- Indents JSON text two spaces a level, keeping its keys in their order (vim.json would not), strings untouched.
function M.pretty_json(text)
  local out, depth, in_string, escaped = {}, 0, false, false
  local function newline()
    table.insert(out, "\n" .. string.rep("  ", depth))
  end
  for index = 1, #text do
    local char = text:sub(index, index)
    if in_string then
      table.insert(out, char)
      if escaped then
        escaped = false
      elseif char == "\\" then
        escaped = true
      elseif char == '"' then
        in_string = false
      end
    elseif char == '"' then
      in_string = true
      table.insert(out, char)
    elseif char == "{" or char == "[" then
      local close = char == "{" and "}" or "]"
      local following = text:sub(index + 1):match("^%s*(.)")
      table.insert(out, char)
      depth = depth + 1
      if following ~= close then
        newline()
      end
    elseif char == "}" or char == "]" then
      depth = depth - 1
      local previous = out[#out]
      if previous ~= "{" and previous ~= "[" then
        newline()
      end
      table.insert(out, char)
    elseif char == "," then
      table.insert(out, char)
      newline()
    elseif char == ":" then
      table.insert(out, ": ")
    elseif not char:match("%s") then
      table.insert(out, char)
    end
  end
  return table.concat(out)
end

--- <CR> on a version: the schema (schemas/get) in a read-only buffer named after the subject, version and id; JSON
--- for Avro and JSON Schema, the text for Protobuf.
function M.open_schema(id, subject, version)
  sidecar().request("schemas/get", { connection_id = id, subject = subject, version = version }, function(err, schema)
    if err then
      notify("schema " .. subject .. " version " .. version .. ": " .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    local protobuf = schema.schema_type == "PROTOBUF"
    local name = string.format("ide-sidecar://%s/schemas/%s.v%d.id%d.%s", id, subject, version, schema.id, protobuf and "proto" or "json")
    local bufnr = vim.fn.bufnr(name)
    if bufnr == -1 or not vim.api.nvim_buf_is_valid(bufnr) then
      bufnr = vim.api.nvim_create_buf(true, true)
      vim.api.nvim_buf_set_name(bufnr, name)
    end
    vim.bo[bufnr].buftype = "nofile"
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].modifiable = true
    local text = protobuf and schema.schema or M.pretty_json(schema.schema)
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(text, "\n", { plain = true }))
    vim.bo[bufnr].modifiable = false
    vim.bo[bufnr].readonly = true
    vim.bo[bufnr].filetype = protobuf and "proto" or "json"
    vim.keymap.set("n", "q", close_window, { buffer = bufnr, nowait = true, silent = true })
    vim.cmd("belowright split")
    vim.api.nvim_win_set_buf(0, bufnr)
  end)
end

--- Reads an expanded connection's topics and groups, and watches the groups' lag while it stays expanded.
local function load_children(id)
  local entry = { lag = {} }
  local old = expanded[id]
  if old then
    stop_watch(old)
  end
  expanded[id] = entry
  entry.has_kafka, entry.has_registry = parts_of(id)
  M.rerender()
  local function still()
    return expanded[id] == entry
  end
  if entry.has_registry then
    load_subjects(id, entry, still)
  end
  if not entry.has_kafka then
    return
  end
  sidecar().list_topics(id, function(err, result)
    if not still() then
      return
    end
    entry.topics_error = err and (err.message or tostring(err)) or nil
    entry.topics = not err and result.data or nil
    M.rerender()
  end)
  sidecar().list_groups(id, function(err, result)
    if not still() then
      return
    end
    entry.groups_error = err and (err.message or tostring(err)) or nil
    entry.groups = not err and result.data or nil
    M.rerender()
    if err or #entry.groups == 0 then
      return
    end
    local group_ids = vim.tbl_map(function(group) return group.group_id end, entry.groups)
    sidecar().watch_lag({ connection_id = id, group_ids = group_ids, interval_ms = M.lag_interval_ms }, function(lag)
      if still() then
        entry.lag[lag.group_id] = lag
        M.rerender()
      end
    end, function()
      if still() then
        entry.watch_id = nil
      end
    end, function(watch_err, watch_id)
      if watch_err then
        return
      end
      if still() then
        entry.watch_id = watch_id
      else
        sidecar().unwatch_lag(watch_id)
      end
    end)
  end)
end

--- How often an expanded connection's consumer groups' lag is read (kafka/lag/watch interval_ms).
M.lag_interval_ms = 2000

--- o in the list: shows or hides a connection's topics and consumer groups.
function M.toggle(id)
  local entry = expanded[id]
  if entry then
    stop_watch(entry)
    expanded[id] = nil
    M.rerender()
  else
    load_children(id)
  end
end

--- Whether a connection is expanded in the list (for tests).
function M.is_expanded(id)
  return expanded[id] ~= nil
end

--- What the list line under the cursor is about: connection id, and { topic } or { group } or nil.
local function target_under_cursor()
  local row = vim.api.nvim_win_get_cursor(0)[1]
  return line_ids[row], line_targets[row]
end

--- q: closes the window, or, in the last one (where :close fails with E444), shows another buffer there: the
--- list when leaving something else, else an empty one.
close_window = function()
  if vim.fn.winnr("$") > 1 or vim.fn.tabpagenr("$") > 1 then
    vim.cmd("close")
    return
  end
  local list = list_buffer()
  if list and list ~= vim.api.nvim_get_current_buf() then
    vim.api.nvim_win_set_buf(0, list)
    M.rerender()
  else
    vim.cmd("enew")
  end
end

--- Lines to read and yank in a scratch window below (q closes it); the window is current afterwards.
local function show_lines(lines)
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].swapfile = false
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.keymap.set("n", "q", close_window, { buffer = bufnr, nowait = true, silent = true })
  vim.cmd("belowright split")
  vim.api.nvim_win_set_buf(0, bufnr)
end

local function with_id(fn)
  return function()
    local id = id_under_cursor()
    if id then
      fn(id)
    else
      notify("put the cursor on a connection", vim.log.levels.WARN)
    end
  end
end

--- "a.b = value" lines for every leaf of a table, keys sorted (the spec as the sidecar shows it: secrets masked).
local function flatten(value, prefix, out)
  if type(value) == "table" and next(value) ~= nil and not (vim.islist or vim.tbl_islist)(value) then
    local keys = vim.tbl_keys(value)
    table.sort(keys)
    for _, key in ipairs(keys) do
      flatten(value[key], prefix == "" and key or (prefix .. "." .. key), out)
    end
  else
    table.insert(out, "  " .. prefix .. " = " .. (type(value) == "string" and value or vim.fn.json_encode(value)))
  end
  return out
end

--- The lines of a connection's details window: each component with its whole error, and the spec.
function M.details_lines(connection)
  local state = status.overall(connection)
  local lines = {
    string.format("%s %s  [%s]  %s  %s", status.symbols[state] or "?", connection.spec.name, connection.id, connection.spec.type, status.labels[state] or state),
    "",
  }
  for _, component in ipairs(status.components(connection)) do
    table.insert(lines, string.format("%s: %s", component.label, status.labels[component.state] or component.state))
    if component.detail then
      table.insert(lines, "  " .. component.detail)
    end
    if component.error then
      table.insert(lines, "  " .. component.error)
    end
  end
  table.insert(lines, "")
  table.insert(lines, "Spec (secrets are shown as ********):")
  flatten(connection.spec, "", lines)
  return lines
end

--- A window with everything about one connection, as plain text to read and yank (q closes it).
function M.details(id)
  local connection = sidecar().get(id)
  if not connection then
    notify("there is no connection with id '" .. id .. "'", vim.log.levels.WARN)
    return
  end
  show_lines(M.details_lines(connection))
  -- Long errors wrap here rather than being cut.
  vim.wo.wrap = true
end

--- The lines of a consumer group's details (kafka/groups/describe): state, members, and per partition the committed
--- offset, the latest offset and the lag.
function M.group_lines(group)
  local records = require("ide_sidecar.records")
  local lines = {
    string.format("Consumer group %s  %s  total lag %s", group.group_id, tostring(group.state), records.encode(group.total_lag)),
    "",
    string.format("Members (%d):", #(group.members or {})),
  }
  for _, member in ipairs(group.members or {}) do
    local assigned = {}
    for _, assignment in ipairs(member.assignments or {}) do
      table.insert(assigned, assignment.topic .. " " .. table.concat(vim.tbl_map(tostring, assignment.partitions or {}), ","))
    end
    table.insert(lines, string.format("  %s  %s  %s  %s", member.client_id or "", member.host or "", member.member_id or "", table.concat(assigned, "; ")))
  end
  table.insert(lines, "")
  table.insert(lines, "topic  partition  committed  latest  lag")
  for _, partition in ipairs(group.partitions or {}) do
    table.insert(lines, string.format("%s  %s  %s  %s  %s", partition.topic, records.encode(partition.partition), records.encode(partition.committed_offset),
      records.encode(partition.latest_offset), records.encode(partition.lag)))
  end
  return lines
end

--- <CR> on a consumer group: its details in a window (q closes it).
function M.group_details(id, group_id)
  sidecar().request(require("ide_sidecar.protocol").methods.describeGroup, { connection_id = id, group_id = group_id }, function(err, group)
    if err then
      notify(status.describe_error("describe the group '" .. group_id .. "'", err), vim.log.levels.ERROR)
      return
    end
    show_lines(M.group_lines(group))
  end)
end

function M.open_list()
  local bufnr = list_buffer()
  if not bufnr then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, LIST_NAME)
    vim.bo[bufnr].buftype = "nofile"
    vim.bo[bufnr].bufhidden = "hide"
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].filetype = "ide-sidecar"
    local map = function(lhs, fn)
      vim.keymap.set("n", lhs, fn, { buffer = bufnr, nowait = true, silent = true })
    end
    map("q", close_window)
    map("a", function() M.add() end)
    map("c", M.add_ccloud)
    map("R", function()
      sidecar().reload()
      for id in pairs(expanded) do
        load_children(id)
      end
    end)
    map("t", with_id(M.test))
    map("r", with_id(M.refresh))
    map("d", with_id(M.confirm_delete))
    map("s", with_id(M.sign_in))
    map("e", with_id(M.edit))
    map("o", with_id(M.toggle))
    map("<Tab>", with_id(M.toggle))
    map("<CR>", function()
      local id, target = target_under_cursor()
      if id and target and target.topic then
        require("ide_sidecar.messages").open(id, target.topic)
      elseif id and target and target.group then
        M.group_details(id, target.group)
      elseif id and target and target.version then
        M.open_schema(id, target.subject, target.version)
      elseif id then
        M.details(id)
      else
        notify("put the cursor on a connection", vim.log.levels.WARN)
      end
    end)
    map("p", function()
      local id, target = target_under_cursor()
      if id and target and target.topic then
        require("ide_sidecar.messages").produce_template(id, target.topic)
      else
        notify("put the cursor on a topic (o on a connection shows its topics)", vim.log.levels.WARN)
      end
    end)
  end
  if vim.fn.bufwinnr(bufnr) == -1 then
    vim.cmd("botright split")
    vim.api.nvim_win_set_buf(0, bufnr)
  else
    -- Already shown: go there, so that its keys work.
    vim.cmd(vim.fn.bufwinnr(bufnr) .. "wincmd w")
  end
  M.rerender()
  sidecar().reload()
end

-- Prompts, one after another; `next_step` gets nil when the user cancels (Escape). vim.fn.input is used directly:
-- vim.ui.input on 0.7 turns an empty answer into nil, and empty answers mean "none" for optional questions here.
local CANCELLED = "\27cancelled"
local function ask(prompt, default, secret, next_step)
  local ok, value
  if secret then
    ok, value = pcall(vim.fn.inputsecret, prompt)
  else
    ok, value = pcall(vim.fn.input, { prompt = prompt, default = default or "", cancelreturn = CANCELLED })
  end
  vim.cmd("redraw")
  if not ok or value == CANCELLED then
    next_step(nil)
  else
    next_step(value)
  end
end

--- Asks to pick one of `choices` ({value, label}); next_step(value), or next_step(nil) on cancel.
local function choose(prompt, choices, next_step)
  vim.ui.select(choices, {
    prompt = prompt,
    format_item = function(choice)
      return choice.label
    end,
  }, function(choice)
    -- inputlist (vim.ui.select before 0.10's float-less default) leaves its list on a scrolled screen: clear it, so
    -- that the next question or message starts on a clean screen instead of after the answer (or behind Enter).
    vim.cmd("redraw")
    next_step(choice and choice.value or nil)
  end)
end
M.choose = choose

--- Asks for a direct connection; done(answers) or done(nil) on cancel. With `initial` (the answers of an attempt
--- the sidecar refused, or of the connection being edited), each text question starts from the earlier answer
--- (Enter keeps it), each choice marks the earlier one "(current)", and an empty secret keeps the earlier one.
--- With `only` (a set of answer keys, such as {bootstrap_servers = true}) just those are asked again, and the
--- others keep their earlier answers; a question that had no earlier answer (a branch not taken before), or that
--- follows a choice answered differently this time (the password after a new authentication kind), is asked too.
function M.ask_direct(done, initial, only)
  initial = vim.deepcopy(initial or {})
  local a = {}
  local redo = {}
  local cancelled = function()
    done(nil)
  end
  local function wanted(key)
    return only == nil or only[key] or redo[key] or initial[key] == nil
  end
  -- A text question (or a secret one, without a default); next_step(value) unless cancelled.
  local function text(key, prompt, secret, next_step)
    if not wanted(key) then
      a[key] = initial[key]
      return next_step(a[key])
    end
    if secret and initial[key] and initial[key] ~= "" then
      prompt = prompt:gsub(": $", " (empty keeps the earlier one): ")
    end
    ask(prompt, not secret and initial[key] or nil, secret, function(value)
      if value == nil then
        return cancelled()
      end
      if secret and value == "" and initial[key] then
        value = initial[key]
      end
      a[key] = value
      next_step(value)
    end)
  end
  -- A choice; a different answer than before asks its follow-up questions again (and forgets their secrets).
  local function pick(key, prompt, choices, follow_ups, next_step)
    if not wanted(key) then
      a[key] = initial[key]
      return next_step(a[key])
    end
    local shown = {}
    for _, choice in ipairs(choices) do
      local label = choice.label .. (choice.value == initial[key] and " (current)" or "")
      table.insert(shown, { value = choice.value, label = label })
    end
    if initial[key] == "keep" then
      table.insert(shown, 1, { value = "keep", label = "Keep the current authentication (current)" })
    end
    choose(prompt, shown, function(value)
      if not value then
        return cancelled()
      end
      a[key] = value
      if value ~= initial[key] then
        for _, follow_up in ipairs(follow_ups) do
          redo[follow_up] = true
          if follow_up:match("secret$") or follow_up:match("password$") then
            initial[follow_up] = nil
          end
        end
      end
      next_step(value)
    end)
  end
  local function registry()
    text("schema_registry_uri", "Schema Registry URL (empty for none): ", false, function(uri)
      if vim.trim(uri) == "" then
        return done(a)
      end
      pick("registry_auth", "Schema Registry authentication", spec_builder.registry_auth_choices, { "registry_user", "registry_secret" }, function(auth)
        if auth == "none" or auth == "keep" then
          return done(a)
        end
        text("registry_user", auth == "api_key" and "API key: " or "Username: ", false, function()
          text("registry_secret", auth == "api_key" and "API secret: " or "Password: ", true, function()
            done(a)
          end)
        end)
      end)
    end)
  end
  local function tls()
    pick("tls", "Transport security", spec_builder.tls_choices, { "truststore_path", "truststore_password" }, function(mode)
      if mode ~= "truststore" then
        return registry()
      end
      text("truststore_path", "Truststore path: ", false, function(path)
        a.truststore_path = vim.fn.expand(path)
        a.truststore_type = path:match("%.jks$") and "JKS" or (path:match("%.p12$") or path:match("%.pfx$")) and "PKCS12" or "PEM"
        if a.truststore_type == "PEM" then
          a.truststore_password = nil
          return registry()
        end
        text("truststore_password", "Truststore password: ", true, function()
          registry()
        end)
      end)
    end)
  end
  text("name", "Connection name: ", false, function(name)
    if vim.trim(name) == "" then
      return cancelled()
    end
    text("bootstrap_servers", "Bootstrap servers host:port[,host:port] (empty for Schema Registry only): ", false, function(servers)
      if vim.trim(servers) == "" then
        return registry()
      end
      pick("kafka_auth", "Kafka authentication", spec_builder.kafka_auth_choices, { "kafka_user", "kafka_secret" }, function(auth)
        if auth == "none" or auth == "keep" then
          return tls()
        end
        local key = auth == "api_key"
        text("kafka_user", key and "API key: " or "Username: ", false, function()
          text("kafka_secret", key and "API secret: " or "Password: ", true, function()
            tls()
          end)
        end)
      end)
    end)
  end)
end

--- Says that a test started (a test can take the whole check timeout), before the screen waits for it.
local function testing(name)
  vim.cmd("redraw")
  notify("testing '" .. name .. "'…")
end

--- Whether the sidecar runs or can be started; when not, start() has said why (message and list) at once, before
--- any question is asked.
local function can_start()
  local problem = sidecar().problem()
  if problem and not sidecar().is_ready() then
    notify(problem, vim.log.levels.ERROR)
    return false
  end
  return sidecar().start() ~= nil
end

local function report_test(name, err, passed, summary)
  if err then
    notify(status.describe_error("test '" .. name .. "'", err), vim.log.levels.ERROR)
  elseif passed then
    notify("test passed: " .. summary)
  else
    notify("test failed: " .. summary, vim.log.levels.WARN)
  end
end

--- After the sidecar refused the answers (invalid params), offers to answer again: only the questions whose answers
--- the problems' sources point at (data.errors[].source), or all of them when a problem points elsewhere.
--- again(answers, only) asks them.
local function offer_fix(err, answers, again)
  if not (err and err.code == require("ide_sidecar.protocol").errors.invalidParams) then
    return
  end
  local data = status.present(err.data) and err.data or {}
  local only = spec_builder.answers_to_fix(data.errors)
  local which = "each question shows your last answer"
  if only then
    local names = {}
    for _, key in ipairs(spec_builder.answer_order) do
      if only[key] then
        table.insert(names, spec_builder.answer_labels[key])
      end
    end
    which = "asks again: " .. table.concat(names, ", ") .. "; the other answers stay"
  end
  choose("Fix the answers? (" .. which .. ")", {
    { value = true, label = "Fix them" },
    { value = false, label = "Discard" },
  }, function(yes)
    if yes then
      again(answers, only)
    end
  end)
end

local function save(spec, answers)
  sidecar().create(spec, function(err)
    if err then
      notify(status.describe_error("add the connection", err), vim.log.levels.ERROR)
      offer_fix(err, answers, M.add)
    end
  end)
end

--- :IdeSidecarAdd: asks (from `initial` answers, when given: only the `only` ones), then test first or save.
function M.add(initial, only)
  if not can_start() then
    return
  end
  M.ask_direct(function(answers)
    if not answers then
      return
    end
    local spec = spec_builder.build(answers)
    spec.id = spec_builder.new_id(spec.name)
    choose("Test '" .. spec.name .. "' before saving?", {
      { value = "test", label = "Test, then save if it passes" },
      { value = "save", label = "Save without testing" },
    }, function(choice)
      if choice == "save" then
        save(spec, answers)
      elseif choice == "test" then
        testing(spec.name)
        sidecar().test_spec(spec, function(err, _, passed, summary)
          report_test(spec.name, err, passed, summary)
          if not err and passed then
            save(spec, answers)
          elseif not err then
            choose("The test failed. Save anyway?", { { value = true, label = "Save anyway" }, { value = false, label = "Discard" } }, function(yes)
              if yes then
                save(spec, answers)
              end
            end)
          else
            offer_fix(err, answers, M.add)
          end
        end)
      end
    end)
  end, initial, only)
end

--- Sends the change from the answers `base` to `answers` as a merge patch; a refusal offers to fix the answers.
local function apply_edit(id, base, answers)
  local patch = spec_builder.merge_patch(spec_builder.build(base), spec_builder.build(answers))
  patch.id, patch.type = nil, nil
  if next(patch) == nil then
    notify("nothing changed in '" .. base.name .. "'")
    return
  end
  sidecar().patch(id, patch, function(err)
    if not err then
      return
    end
    if err.code == require("ide_sidecar.protocol").errors.patchConflict then
      notify("'" .. base.name .. "' changed while it was being edited: press e again", vim.log.levels.WARN)
      return
    end
    notify(status.describe_error("change '" .. base.name .. "'", err), vim.log.levels.ERROR)
    offer_fix(err, answers, function(earlier, only)
      M.ask_direct(function(fixed)
        if fixed then
          apply_edit(id, base, fixed)
        end
      end, earlier, only)
    end)
  end)
end

--- e in the list: rename a connection, or (a direct one) answer its questions again, each starting from the current
--- value (secrets stay as they are unless a new one is typed). Sent as a merge patch (connections/patch) of what
--- changed, so what the questions do not cover (a keystore, other credentials) is kept.
function M.edit(id)
  local connection = sidecar().get(id)
  if not connection then
    notify("there is no connection with id '" .. id .. "'", vim.log.levels.WARN)
    return
  end
  local spec = connection.spec
  local function rename(default)
    ask("New name for '" .. spec.name .. "': ", default or spec.name, false, function(name)
      if name == nil or vim.trim(name) == "" or name == spec.name then
        return
      end
      sidecar().patch(id, { name = name }, function(err)
        if not err then
          return
        end
        notify(status.describe_error("rename '" .. spec.name .. "'", err), vim.log.levels.ERROR)
        if err.code == require("ide_sidecar.protocol").errors.invalidParams then
          choose("Fix the name? (it starts from your last answer)", { { value = true, label = "Fix it" }, { value = false, label = "Discard" } }, function(yes)
            if yes then
              rename(name)
            end
          end)
        end
      end)
    end)
  end
  if spec.type ~= "DIRECT" then
    return rename()
  end
  choose("Edit '" .. spec.name .. "'", {
    { value = "rename", label = "Rename" },
    { value = "edit", label = "Change its settings (each question starts from the current value)" },
  }, function(choice)
    if choice == "rename" then
      rename()
    elseif choice == "edit" then
      local base = spec_builder.answers_from(spec)
      M.ask_direct(function(answers)
        if answers then
          apply_edit(id, base, answers)
        end
      end, base)
    end
  end)
end

--- :IdeSidecarTest without an id: asks for a spec and only tests it.
function M.test_new()
  if not can_start() then
    return
  end
  M.ask_direct(function(answers)
    if answers then
      local spec = spec_builder.build(answers)
      testing(spec.name)
      sidecar().test_spec(spec, function(err, _, passed, summary)
        report_test(spec.name, err, passed, summary)
      end)
    end
  end)
end

function M.test(id)
  local connection = sidecar().get(id)
  local name = connection and connection.spec.name or id
  if connection and connection.spec.type == "CCLOUD" and status.overall(connection) ~= "SUCCESS" then
    notify("'" .. name .. "' is not signed in: press s in the list (or :IdeSidecarSignIn " .. id .. ") to sign in", vim.log.levels.WARN)
    return
  end
  testing(name)
  sidecar().test(id, function(err, _, passed, summary)
    report_test(name, err, passed, summary)
  end)
end

function M.refresh(id)
  sidecar().refresh(id, function(err, connection)
    if err then
      notify(status.describe_error("refresh '" .. id .. "'", err), vim.log.levels.ERROR)
    else
      notify(status.summary(connection))
    end
  end)
end

function M.confirm_delete(id)
  local connection = sidecar().get(id)
  local name = connection and connection.spec.name or id
  choose("Delete '" .. name .. "'?", { { value = true, label = "Delete" }, { value = false, label = "Keep" } }, function(yes)
    if yes then
      M.delete(id)
    end
  end)
end

function M.delete(id)
  sidecar().delete(id, function(err)
    if err and err.code == require("ide_sidecar.protocol").errors.connectionNotFound then
      notify("there is no connection with id '" .. id .. "' (:IdeSidecarList shows them)", vim.log.levels.WARN)
    elseif err then
      notify(status.describe_error("delete '" .. id .. "'", err), vim.log.levels.ERROR)
    end
  end)
end

function M.sign_in(id)
  sidecar().sign_in(id)
end

function M.add_ccloud()
  vim.ui.input({ prompt = "Confluent Cloud connection name: ", default = "Confluent Cloud" }, function(name)
    if name and vim.trim(name) ~= "" then
      sidecar().add_ccloud(vim.trim(name))
    end
  end)
end

local function complete_ids(prefix)
  local out = {}
  for _, connection in ipairs(sidecar().connections()) do
    if connection.id:sub(1, #prefix) == prefix then
      table.insert(out, connection.id)
    end
  end
  return out
end

function M.create_commands()
  M.define_highlights()
  -- A colorscheme clears the links: set them again.
  vim.api.nvim_create_autocmd("ColorScheme", {
    group = vim.api.nvim_create_augroup("ide_sidecar_highlights", { clear = true }),
    callback = M.define_highlights,
  })
  local command = vim.api.nvim_create_user_command
  local id_opts = { nargs = "?", complete = complete_ids }
  command("IdeSidecarList", M.open_list, { desc = "List Kafka connections and their status" })
  command("IdeSidecarAdd", function() M.add() end, { desc = "Add a direct Kafka connection" })
  command("IdeSidecarTest", function(opts)
    if opts.args ~= "" then
      M.test(opts.args)
    else
      M.test_new()
    end
  end, vim.tbl_extend("force", id_opts, { desc = "Test a connection (or a new spec) with a dry run" }))
  command("IdeSidecarRefresh", function(opts)
    if opts.args ~= "" then
      M.refresh(opts.args)
    else
      sidecar().reload()
    end
  end, id_opts)
  command("IdeSidecarDelete", function(opts)
    if opts.bang then
      M.delete(opts.args)
    else
      M.confirm_delete(opts.args)
    end
  end, { nargs = 1, bang = true, complete = complete_ids, desc = "Delete a connection (! skips the question)" })
  command("IdeSidecarSignIn", function(opts)
    if opts.args ~= "" then
      M.sign_in(opts.args)
    else
      M.add_ccloud()
    end
  end, vim.tbl_extend("force", id_opts, { desc = "Sign in to Confluent Cloud (a new connection without an id)" }))
  local messages = function()
    return require("ide_sidecar.messages")
  end
  command("IdeSidecarMessages", function(opts)
    local args = opts.fargs
    if #args < 2 then
      notify("give a connection and a topic: :IdeSidecarMessages {connection} {topic} [start]", vim.log.levels.ERROR)
      return
    end
    messages().open(args[1], args[2], { start = args[3] and table.concat(vim.list_slice(args, 3), " ") or nil })
  end, { nargs = "+", complete = function(prefix, line)
    if #vim.split(line, "%s+") <= 2 then
      return complete_ids(prefix)
    end
    return {}
  end, desc = "Open a topic's records as JSON lines" })
  command("IdeSidecarFrom", function(opts)
    messages().from(0, opts.args)
  end, { nargs = "?", complete = function()
    return { "beginning", "end", "latest", "-15m", "-1h", "-1d", "0:0" }
  end, desc = "Read the message buffer again from a start: beginning, end, latest, a time, -1h, partition:offset" })
  command("IdeSidecarSearch", function(opts)
    messages().search(0, opts.args)
  end, { nargs = "?", desc = "Show only records containing a text (searched by the sidecar); no text ends the search" })
  command("IdeSidecarTail", function()
    messages().toggle_tail(0)
  end, { desc = "Start or stop appending the topic's new records to the message buffer" })
  command("IdeSidecarProduce", function(opts)
    if #opts.fargs == 1 or #opts.fargs > 2 then
      notify("give both a connection and a topic, or neither: :IdeSidecarProduce [{connection} {topic}]", vim.log.levels.ERROR)
      return
    end
    messages().produce(0, opts.fargs[1], opts.fargs[2])
  end, { nargs = "*", complete = function(prefix, line)
    if #vim.split(line, "%s+") <= 2 then
      return complete_ids(prefix)
    end
    return {}
  end, desc = "Write the buffer's records (JSON) to a topic, after a dry run" })
  command("IdeSidecarRestart", function()
    sidecar().restart()
  end, { desc = "Restart the sidecar" })
  command("IdeSidecarLog", function()
    vim.cmd("tabnew " .. vim.fn.fnameescape(vim.lsp.get_log_path()))
  end, { desc = "Open the LSP log, where the sidecar's stderr goes" })
end

return M
