-- ide-sidecar for Neovim: starts the sidecar with the built-in LSP client (vim.lsp.start_client on 0.7-0.10,
-- vim.lsp.start without attaching a buffer on 0.11+), keeps the connections it reports up to date from its
-- `connections/event` notifications, and offers commands to list, add, test, refresh, delete and sign in.
local protocol = require("ide_sidecar.protocol")
local status = require("ide_sidecar.status")

local M = {}

local defaults = {
  -- The command that serves an editor over stdio. `ide-sidecar` must be on PATH, or give its absolute path.
  cmd = { "ide-sidecar", "serve" },
  -- The sidecar's RUST_LOG; its stderr goes to the LSP log (:IdeSidecarLog).
  log_level = "warn",
  -- Passed as initializationOptions: intervals, timeouts, endpoints (see the sidecar's README, "Configuration").
  init_options = {},
  -- The sidecar's shared store: connections and the Confluent Cloud sign-in kept across restarts and shared with
  -- every other editor window (VS Code's too) using the same directory. true: the default directory
  -- ($XDG_STATE_HOME/ide-sidecar, else ~/.local/state/ide-sidecar); { directory = "/abs/path" }: that one; false:
  -- off (the sidecar then forgets everything when it stops). An init_options.store given explicitly wins.
  store = true,
  -- Connection specs created in the sidecar at every start, as in its protocol; one the store already holds (from an
  -- earlier run or another window) is updated to the spec given here when they differ.
  connections = {},
  -- Start the sidecar on setup(); otherwise on the first command.
  autostart = true,
  -- Show status changes with vim.notify.
  notify = true,
  -- Open the Confluent Cloud sign-in page with vim.ui.open (Neovim 0.10+); otherwise the plugin shows its address.
  open_browser = true,
}

local state = {
  config = vim.deepcopy(defaults),
  client_id = nil,
  ready = false,
  -- Requests waiting for the sidecar to finish initializing.
  queue = {},
  -- The connections the sidecar reported, by id, and their ids in creation order.
  connections = {},
  order = {},
  -- The revision of each connection's DELETED event.
  deleted = {},
  -- Why the sidecar is not running, when it stopped on its own.
  problem = nil,
  -- The specs as the user gave them (with secrets), to test or re-create them; the sidecar only shows masks.
  specs = {},
  listeners = {},
  -- Connections at start (configured, or loaded from the store) by id: true while the outcome of their first check
  -- is still to be said, in one short line (the README's localhost:9092 example must not greet every start with a
  -- warning to press Enter for); false once said.
  quiet = {},
  -- Ids of configured connections whose create, or comparison with the stored spec and update, is on its way: the
  -- outcome of a check of the stored spec is not theirs to say.
  hold = {},
  -- From start() until the first connections/list after initialize: the connections whose events come now were
  -- loaded from the store (the list has them all), so they are quiet too.
  starting = false,
  server_info = nil,
  -- What the sidecar announced under capabilities.experimental.sidecar (methods, notifications, ...).
  announced = nil,
  exit_code = nil,
  -- Who gets each tail's and lag watch's notifications, by subscription or watch id: { on_data, on_ended }.
  streams = {},
  -- Notifications for an id whose request has not been answered yet (the reply and the first batch race through
  -- the scheduler): handed over when the reply registers the id.
  early = {},
  -- Ids of streams this client stopped: a notification still on its way for one is dropped, not kept as early.
  closed = {},
}

-- Client methods became `client:request(...)` in 0.11; before that they are plain functions.
local has_011 = vim.fn.has("nvim-0.11") == 1

local function client()
  return state.client_id and vim.lsp.get_client_by_id(state.client_id) or nil
end

local function empty_object(value)
  if value == nil or (type(value) == "table" and next(value) == nil) then
    return vim.empty_dict()
  end
  return value
end

--- The initializationOptions for `config`: its init_options with `store` filled in from the `store` option. An
--- init_options.store given explicitly wins; without `enabled` it takes that from the `store` option.
function M.init_options_for(config)
  local options = vim.deepcopy(config.init_options or {})
  local on = config.store ~= false and config.store ~= nil
  if type(options.store) == "table" then
    if options.store.enabled == nil then
      options.store.enabled = on
    end
  elseif options.store == nil and on then
    options.store = { enabled = true }
    if type(config.store) == "table" and config.store.directory then
      options.store.directory = config.store.directory
    end
  end
  return options
end

local PREFIX = "ide-sidecar: "

--- Shows a message, always with the plugin's prefix (so that every message says where it comes from).
function M.say(message, level)
  if message:sub(1, #PREFIX) ~= PREFIX then
    message = PREFIX .. message
  end
  vim.notify(message, level or vim.log.levels.INFO)
end

--- A message about the sidecar's own doings (events, restored connections), unless `notify` is off.
local function notify(message, level)
  if state.config.notify then
    M.say(message, level)
  end
end

--- `message` cut to one screen line (v:echospace), so that it never waits for Enter.
local function one_line(message)
  local room = math.max(vim.v.echospace - 1, 20)
  if vim.fn.strdisplaywidth(message) <= room then
    return message
  end
  return vim.fn.strcharpart(message, 0, room - 1) .. "…"
end

--- Says the outcome of a quiet connection's first check in one short line, once that check has ended (and no
--- comparison or update of a configured one is on its way).
local function say_first_outcome(id)
  local connection = state.connections[id]
  if state.quiet[id] ~= true or state.hold[id] or not connection then
    return
  end
  local now = status.overall(connection)
  if now == "ATTEMPTING" then
    return
  end
  state.quiet[id] = false
  vim.cmd("redraw")
  local name = connection.spec and connection.spec.name or id
  if now == "SUCCESS" then
    notify(one_line(PREFIX .. name .. ": connected"))
  else
    notify(one_line(PREFIX .. name .. ": " .. (status.labels[now] or now) .. " (:IdeSidecarList shows why)"), vim.log.levels.WARN)
  end
end

--- A connection's metadata.revision, which grows with every change; nil from a sidecar that sends none.
local function revision_of(connection)
  local metadata = connection and connection.metadata
  return type(metadata) == "table" and type(metadata.revision) == "number" and metadata.revision or nil
end

--- Keeps a connection the sidecar sent, unless it is older than the one held or than its deletion (a create reply
--- that arrives after the CONNECTED event it led to must not put "connecting" back). Returns whether it was kept.
local function remember(connection)
  local revision = revision_of(connection)
  local held = state.connections[connection.id]
  if revision then
    local known = held and revision_of(held)
    if known and revision < known then
      return false
    end
    local deleted = not held and state.deleted[connection.id]
    if deleted and revision <= deleted then
      return false
    end
  end
  state.deleted[connection.id] = nil
  if not held then
    table.insert(state.order, connection.id)
  end
  state.connections[connection.id] = connection
  return true
end

--- Forgets a connection; `revision` (of its DELETED event) keeps older replies from bringing it back.
local function forget(id, revision)
  if revision then
    state.deleted[id] = revision
  end
  state.connections[id] = nil
  for index, known in ipairs(state.order) do
    if known == id then
      table.remove(state.order, index)
      break
    end
  end
end

local function changed()
  require("ide_sidecar.ui").rerender()
end

--- The connections the sidecar reported, in creation order.
function M.connections()
  local out = {}
  for _, id in ipairs(state.order) do
    table.insert(out, state.connections[id])
  end
  return out
end

function M.get(id)
  return state.connections[id]
end

--- The configuration in use (setup()'s options over the defaults); a copy.
function M.config()
  return vim.deepcopy(state.config)
end

--- Why the sidecar is not running, when it stopped on its own (nil otherwise).
function M.problem()
  return state.problem
end

function M.is_ready()
  return state.ready
end

--- "ide-sidecar 0.1.0", once initialized.
function M.server_version()
  local info = state.server_info
  if info then
    return (info.name or "ide-sidecar") .. " " .. (info.version or "")
  end
  return "ide-sidecar"
end

--- Calls fn(event) for every connections/event; returns a function that stops it.
function M.on_event(fn)
  table.insert(state.listeners, fn)
  return function()
    for index, listener in ipairs(state.listeners) do
      if listener == fn then
        table.remove(state.listeners, index)
        return
      end
    end
  end
end

--- Applies one connections/event: the list first (redrawn before any message, so a message that waits for Enter
--- never sits under a list that still shows the old state), then a message when the connection's overall state
--- changed (a failure whose text alone changed is not news). An event older than what is known changes nothing.
function M.handle_event(event)
  local id = event.connection.id
  local held = state.connections[id]
  local before = held and status.overall(held) or nil
  if state.starting and not held and state.quiet[id] == nil and event.action ~= "DELETED" then
    -- Loaded from the store at start (its CREATED and first check follow `initialized`).
    state.quiet[id] = true
  end
  if event.action == "DELETED" then
    forget(id, revision_of(event.connection))
  elseif not remember(event.connection) then
    return
  end
  local now = event.action ~= "DELETED" and status.overall(event.connection) or nil
  changed()
  local is_status = event.action == "CONNECTED" or event.action == "DISCONNECTED"
  if state.quiet[id] == true and event.action ~= "DELETED" then
    -- A connection at start: no "added" or "changed", and its first outcome in one line; the list has the rest.
    if is_status then
      say_first_outcome(id)
    end
  elseif not (is_status and before == now) then
    state.quiet[id] = nil
    vim.cmd("redraw")
    local message, level = status.event_message(event)
    notify(message, level)
  end
  for _, listener in ipairs(state.listeners) do
    pcall(listener, event)
  end
end

--- Hands a data-plane notification to whoever holds its id; keeps it for a moment when nobody does yet.
local function route(id, kind, params)
  local stream = state.streams[id]
  if not stream and state.closed[id] then
    return
  end
  if stream then
    if kind == "ended" then
      state.streams[id] = nil
    end
    local fn = stream[kind == "ended" and "on_ended" or "on_data"]
    if fn then
      local ok, err = pcall(fn, params)
      if not ok then
        M.say("a handler of " .. tostring(id) .. " failed: " .. tostring(err), vim.log.levels.ERROR)
      end
    end
    return
  end
  local early = state.early[id] or {}
  -- An id nobody asks for (a reply that never came) must not grow without end.
  if #early < 64 then
    table.insert(early, { kind, params })
  end
  state.early[id] = early
end

local function stream_handler(id_field, kind)
  return function(_, params)
    vim.schedule(function()
      route(params[id_field], kind, params)
    end)
  end
end

--- Registers the receiver of a stream's notifications and delivers those that came before the reply.
local function open_stream(id, on_data, on_ended)
  state.streams[id] = { on_data = on_data, on_ended = on_ended }
  local early = state.early[id] or {}
  state.early[id] = nil
  for _, item in ipairs(early) do
    route(id, item[1], item[2])
  end
end

--- Ends every stream when the sidecar stops: their notifications will not come.
local function end_streams(why)
  local streams = state.streams
  state.streams, state.early, state.closed = {}, {}, {}
  for id, stream in pairs(streams) do
    if stream.on_ended then
      pcall(stream.on_ended, { subscription_id = id, watch_id = id, reason = "SIDECAR_STOPPED", message = why })
    end
  end
end

local function on_event(_, event)
  -- Handlers may run inside a libuv callback, where buffers cannot be changed: do the work on the main loop.
  vim.schedule(function()
    M.handle_event(event)
  end)
end

--- Sends a request once the sidecar is initialized; callback(err, result). Starts the sidecar when needed.
function M.request(method, params, callback)
  callback = callback or function() end
  if not state.ready then
    -- A sidecar that stopped on its own is not restarted behind the user's back: :IdeSidecarRestart does that.
    if not client() and state.problem then
      callback({ code = -32099, message = "the sidecar is not running: " .. state.problem }, nil)
      return
    end
    if not client() and not M.start() then
      callback({ code = -32099, message = "the sidecar could not start (see :messages)" }, nil)
      return
    end
    table.insert(state.queue, { method, params, callback })
    return
  end
  local c = client()
  if not c then
    callback({ code = -32099, message = "the sidecar is not running: :IdeSidecarRestart" }, nil)
    return
  end
  local handler = function(err, result)
    vim.schedule(function()
      callback(err, result)
    end)
  end
  local ok
  if has_011 then
    ok = c:request(method, empty_object(params), handler)
  else
    ok = c.request(method, empty_object(params), handler)
  end
  if not ok then
    callback({ code = -32099, message = "the sidecar is not running: :IdeSidecarRestart" }, nil)
  end
end

local function restore()
  local taken = {}
  for _, configured in ipairs(state.config.connections) do
    if configured.id then
      taken[configured.id] = true
    end
  end
  for _, configured in ipairs(state.config.connections) do
    local spec = configured
    if not spec.id then
      -- Known before the reply, which its first events may overtake; the same at every start.
      local id = require("ide_sidecar.spec").config_id(tostring(spec.name or "connection"), taken)
      taken[id] = true
      spec = vim.tbl_extend("force", spec, { id = id })
    end
    state.specs[spec.id] = spec
    state.quiet[spec.id] = true
    state.hold[spec.id] = true
    local function release()
      state.hold[spec.id] = nil
      say_first_outcome(spec.id)
    end
    M.request(protocol.methods.createConnection, { spec = spec }, function(err, connection)
      if err and err.code == protocol.errors.connectionExists and state.announced and state.announced.store then
        -- The sidecar's shared store kept it from an earlier run or another window. The configuration is the truth
        -- for it: the stored spec is replaced when it differs in what the configuration sets (a stored mask hides a
        -- secret, which cannot be compared: on any other difference the configured secret is sent too).
        M.request(protocol.methods.getConnection, { id = spec.id }, function(get_err, stored)
          if get_err or not require("ide_sidecar.spec").differs(spec, stored.spec) then
            release()
            return
          end
          M.request(protocol.methods.updateConnection, { id = spec.id, spec = spec }, function(update_err, updated)
            if update_err then
              state.hold[spec.id], state.quiet[spec.id] = nil, false
              local why = status.describe_error("update '" .. tostring(spec.name) .. "' to its configuration", update_err)
              if spec.type ~= stored.spec.type then
                -- A connection's type cannot change: say what to do first, in the line's room.
                why = string.format("%s: stored as %s, not %s (:IdeSidecarDelete %s)",
                  tostring(spec.name), tostring(stored.spec.type), tostring(spec.type), spec.id)
              end
              notify(one_line(PREFIX .. why), vim.log.levels.WARN)
              return
            end
            remember(updated)
            changed()
            release()
          end)
        end)
      elseif err then
        state.quiet[spec.id], state.hold[spec.id] = nil, nil
        notify(status.describe_error("restore the connection '" .. tostring(spec.name) .. "'", err), vim.log.levels.WARN)
      else
        state.specs[connection.id] = vim.tbl_extend("force", spec, { id = connection.id })
        remember(connection)
        release()
      end
    end)
  end
  M.reload(function(err, result)
    state.starting = false
    -- What the store held at start: the first outcome of each in one short line (now, when its check has ended).
    for _, connection in ipairs(not err and result.data or {}) do
      if state.quiet[connection.id] == nil then
        state.quiet[connection.id] = true
      end
      say_first_outcome(connection.id)
    end
  end)
end

local function on_init(_, result)
  vim.schedule(function()
    state.server_info = result and result.serverInfo or nil
    local capabilities = result and result.capabilities
    local experimental = type(capabilities) == "table" and capabilities.experimental
    state.announced = type(experimental) == "table" and experimental.sidecar or nil
    state.ready = true
    local store = state.announced and state.announced.store
    if type(store) == "table" and store.keychain == false and not state.keychain_warned then
      -- Once per Neovim session, not at every restart of the sidecar; one short line (no hit-enter prompt at start),
      -- the sidecar's whole message is in :checkhealth ide_sidecar.
      state.keychain_warned = true
      notify(one_line(PREFIX .. "no OS keychain (:checkhealth ide_sidecar)"), vim.log.levels.WARN)
    end
    local queued = state.queue
    state.queue = {}
    for _, request in ipairs(queued) do
      M.request(request[1], request[2], request[3])
    end
    restore()
  end)
end

--- Drops the LSP client's "Client <id or name> quit with exit code ..." message, which Neovim schedules right after
--- the client's on_exit callbacks, for a second (a replaced vim.notify is left alone).
local function quiet_lsp_exit_message(client_id)
  local shown = vim.notify
  local function filtered(message, ...)
    if type(message) == "string" and (message:find("^Client " .. client_id .. " quit with exit code") or message:find("^Client ide%-sidecar quit with exit code")) then
      return
    end
    return shown(message, ...)
  end
  vim.notify = filtered
  vim.defer_fn(function()
    if vim.notify == filtered then
      vim.notify = shown
    end
  end, 1000)
end

function M.start()
  if client() then
    return state.client_id
  end
  local config = state.config
  local binary = config.cmd[1]
  if vim.fn.executable(binary) ~= 1 then
    state.problem = "The sidecar cannot start: cannot run '" .. tostring(binary) .. "': put ide-sidecar on PATH or set cmd in setup()"
    notify(state.problem, vim.log.levels.ERROR)
    changed()
    return nil
  end
  state.ready = false
  state.exit_code = nil
  state.problem = nil
  state.starting = true
  -- Set once started: on_exit of an earlier, restarted client must not clear the state of this one.
  local this_id
  local lsp_config = {
    name = "ide-sidecar",
    cmd = config.cmd,
    cmd_env = { RUST_LOG = config.log_level },
    root_dir = (vim.uv or vim.loop).cwd(),
    init_options = empty_object(M.init_options_for(config)),
    handlers = {
      [protocol.notifications.connectionsEvent] = on_event,
      [protocol.notifications.tailBatch] = stream_handler("subscription_id", "data"),
      [protocol.notifications.tailStopped] = stream_handler("subscription_id", "ended"),
      [protocol.notifications.lagChanged] = stream_handler("watch_id", "data"),
      [protocol.notifications.lagWatchEnded] = stream_handler("watch_id", "ended"),
    },
    on_init = on_init,
    on_exit = function(code, signal)
      if state.client_id == this_id and state.ready and (code ~= 0 or (signal or 0) ~= 0) then
        -- The plugin says below that the sidecar stopped, why, and what to do; Neovim's own "Client ... quit with
        -- exit code" (no prefix, and a second message that makes the first wait for Enter) is left out.
        quiet_lsp_exit_message(this_id)
      end
      vim.schedule(function()
        if state.client_id ~= this_id then
          return
        end
        state.exit_code = code
        local was_ready = state.ready
        state.ready = false
        state.client_id = nil
        state.connections, state.order, state.deleted, state.quiet, state.hold = {}, {}, {}, {}, {}
        state.starting = false
        end_streams("The sidecar stopped: :IdeSidecarRestart starts it again")
        -- Killed by a signal, the exit code reads 0: the signal says it did not end on its own.
        if was_ready and (code ~= 0 or (signal or 0) ~= 0) then
          local why = (signal or 0) ~= 0 and string.format("killed by signal %s", signal) or string.format("exit code %s", code)
          state.problem = "The sidecar stopped (" .. why .. "): :IdeSidecarRestart starts it again, :IdeSidecarLog shows its log"
        end
        -- The list first, drawn before the message (which may wait for Enter).
        changed()
        if state.problem and was_ready then
          vim.cmd("redraw")
          notify(state.problem, vim.log.levels.ERROR)
        end
      end)
    end,
  }
  if has_011 then
    -- vim.lsp.start_client is deprecated from 0.11: start without attaching any buffer.
    state.client_id = vim.lsp.start(lsp_config, { attach = false, reuse_client = function() return false end })
  else
    state.client_id = vim.lsp.start_client(lsp_config)
  end
  this_id = state.client_id
  return state.client_id
end

--- Stops the sidecar (shutdown, then exit).
function M.stop()
  local c = client()
  if c then
    if has_011 then
      c:stop()
    else
      c.stop()
    end
  end
  state.ready = false
end

--- Whether the sidecar process has ended (after stop()), and its exit code.
function M.stopped()
  return state.client_id == nil and state.exit_code ~= nil, state.exit_code
end

function M.restart()
  M.stop()
  vim.wait(5000, function()
    return state.client_id == nil
  end, 50)
  M.start()
end

--- Replaces what is known with connections/list.
function M.reload(callback)
  M.request(protocol.methods.listConnections, {}, function(err, result)
    if err then
      -- A sidecar that stopped on its own or cannot start: the list and a message have said so already.
      if not state.problem then
        notify(status.describe_error("list the connections", err), vim.log.levels.ERROR)
      end
    else
      -- A listed connection older than the one held (an event overtook the list) keeps the newer one.
      local held = state.connections
      state.connections, state.order = {}, {}
      for _, connection in ipairs(result.data or {}) do
        local current = held[connection.id]
        local revision, known = revision_of(connection), current and revision_of(current)
        remember((revision and known and revision < known) and current or connection)
      end
      changed()
    end
    if callback then
      callback(err, result)
    end
  end)
end

--- Wraps an optional callback(err, connection) so that a connection the sidecar answered with is remembered and
--- shown first; `before` runs on success before that.
local function remembering(callback, before)
  return function(err, connection)
    if not err then
      if before then
        before(connection)
      end
      remember(connection)
      changed()
    end
    if callback then
      callback(err, connection)
    end
  end
end

--- Creates a connection; callback(err, connection).
function M.create(spec, callback)
  M.request(protocol.methods.createConnection, { spec = spec }, remembering(callback, function(connection)
    state.specs[connection.id] = vim.tbl_extend("force", spec, { id = connection.id })
  end))
end

--- Wraps callback(err, connection, passed, summary) as the callback of a request answered with a checked connection.
local function with_verdict(callback)
  return function(err, connection)
    if err then
      callback(err, nil)
      return
    end
    local passed, summary = status.test_outcome(connection)
    callback(nil, connection, passed, summary)
  end
end

--- Checks a spec once without storing it (a dry run); callback(err, connection, passed, summary).
function M.test_spec(spec, callback)
  local copy = vim.deepcopy(spec)
  copy.id = nil
  M.request(protocol.methods.createConnection, { spec = copy, dry_run = true }, with_verdict(callback))
end

--- Tests a known connection: a dry run of the spec as entered, or a fresh check when only the sidecar's copy
--- (with masked secrets) is known.
function M.test(id, callback)
  local spec = state.specs[id]
  if spec then
    M.test_spec(spec, callback)
    return
  end
  M.refresh(id, with_verdict(callback))
end

function M.refresh(id, callback)
  M.request(protocol.methods.refreshConnection, { id = id }, remembering(callback))
end

--- Changes a connection with a JSON merge patch on its spec (connections/patch; a masked secret keeps the stored
--- one); callback(err, connection). The spec as entered (with its secrets) follows the patch.
function M.patch(id, patch, callback)
  M.request(protocol.methods.patchConnection, { id = id, patch = patch }, remembering(callback, function()
    if state.specs[id] then
      state.specs[id] = require("ide_sidecar.spec").apply_patch(state.specs[id], patch)
    end
  end))
end

function M.delete(id, callback)
  M.request(protocol.methods.deleteConnection, { id = id }, function(err)
    if not err or err.code == protocol.errors.connectionNotFound then
      -- Not found: gone from the sidecar already, so gone from here too; the caller is still told.
      forget(id)
      state.specs[id] = nil
      changed()
    end
    if callback then
      callback(err)
    end
  end)
end

M.SIGN_IN_UNAVAILABLE = "ide-sidecar: Confluent Cloud sign-in is not available in this sidecar version: update ide-sidecar to sign in"

--- Starts a Confluent Cloud sign-in; callback(err, outcome) with outcome "started" (and the URI) or "unavailable".
--- A sidecar without ccloud/signIn answers -32601 (unknown method): that is "unavailable", said with vim.notify.
function M.sign_in(id, callback)
  callback = callback or function() end
  -- open_browser = false: Neovim 0.7 has no window/showDocument handler, so the plugin opens the page itself.
  M.request(protocol.methods.signIn, { id = id, open_browser = false }, function(err, result)
    if err and err.code == protocol.errors.methodNotFound then
      notify(M.SIGN_IN_UNAVAILABLE .. " (" .. M.server_version() .. ")", vim.log.levels.WARN)
      callback(nil, "unavailable")
    elseif err then
      notify(status.describe_error("start the sign-in", err), vim.log.levels.ERROR)
      callback(err, nil)
    else
      local uri = result.sign_in_uri
      -- The address is always kept in the unnamed register, so that it can be pasted into a browser.
      vim.fn.setreg('"', uri)
      local opened, why = nil, nil
      if vim.ui.open and state.config.open_browser then
        opened, why = vim.ui.open(uri)
      end
      if opened then
        notify("finish signing in to Confluent Cloud in your browser (if none opened, the page's address is in register \")")
      elseif why then
        notify("could not open a browser (" .. tostring(why) .. "): open this page to sign in to Confluent Cloud (it is in register \"): " .. uri, vim.log.levels.WARN)
      else
        notify("open this page to sign in to Confluent Cloud (it is in register \"): " .. uri)
      end
      callback(nil, "started", uri)
    end
  end)
end

--- Creates a CCLOUD connection named `name`, then signs in.
function M.add_ccloud(name, callback)
  local spec = { id = require("ide_sidecar.spec").new_id(name), name = name, type = "CCLOUD" }
  M.create(spec, function(err, connection)
    if err then
      notify(status.describe_error("add the connection", err), vim.log.levels.ERROR)
      if callback then
        callback(err)
      end
      return
    end
    M.sign_in(connection.id, callback)
  end)
end

--- The shared store the running sidecar uses ({ directory, keychain, message }), nil when it is off.
function M.store()
  local store = state.announced and state.announced.store
  return type(store) == "table" and store or nil
end

--- What the sidecar announced in `initialize` (capabilities.experimental.sidecar: methods, notifications, ...), or nil.
function M.announced()
  return state.announced and vim.deepcopy(state.announced) or nil
end

--- The topics of a connection (kafka/topics/list); callback(err, result) with result.data.
function M.list_topics(connection_id, callback)
  M.request(protocol.methods.listTopics, { connection_id = connection_id }, callback)
end

--- The consumer groups of a connection (kafka/groups/list); callback(err, result) with result.data.
function M.list_groups(connection_id, callback)
  M.request(protocol.methods.listGroups, { connection_id = connection_id }, callback)
end

--- One page of records (kafka/records/consume, params as the sidecar takes them); callback(err, page).
function M.consume(params, callback)
  M.request(protocol.methods.consumeRecords, params, callback)
end

--- Writes records (kafka/records/produce, params as the sidecar takes them); callback(err, result).
function M.produce(params, callback)
  M.request(protocol.methods.produceRecords, params, callback)
end

--- Starts a stream (a tail or a lag watch) whose id comes as `id_field` of the reply: on_data and on_ended get its
--- notifications; callback(err, id).
local function start_stream(method, params, id_field, on_data, on_ended, callback)
  M.request(method, params, function(err, result)
    if not err then
      open_stream(result[id_field], on_data, on_ended)
    end
    if callback then
      callback(err, result and result[id_field])
    end
  end)
end

--- Starts a tail (kafka/records/tail): on_records(batch) gets every kafka/records batch, on_ended(ended) its
--- kafka/tail/ended (reason SIDECAR_STOPPED when the sidecar stopped); callback(err, subscription_id).
function M.tail(params, on_records, on_ended, callback)
  start_stream(protocol.methods.tailRecords, params, "subscription_id", on_records, on_ended, callback)
end

--- Stops a tail; its kafka/tail/ended (reason UNTAIL) still reaches on_ended. callback(err).
function M.untail(subscription_id, callback)
  state.closed[subscription_id] = true
  M.request(protocol.methods.untailRecords, { subscription_id = subscription_id }, function(err)
    if err then
      -- Already ended (or never known): no kafka/tail/ended will come for it.
      state.streams[subscription_id] = nil
    end
    if callback then
      callback(err)
    end
  end)
end

--- Watches consumer groups' lag (kafka/lag/watch): on_lag(event) gets every kafka/lag, on_ended(ended) its
--- kafka/lag/ended; callback(err, watch_id).
function M.watch_lag(params, on_lag, on_ended, callback)
  start_stream(protocol.methods.watchLag, params, "watch_id", on_lag, on_ended, callback)
end

--- Stops a lag watch (kafka/lag/unwatch); callback(err).
function M.unwatch_lag(watch_id, callback)
  state.streams[watch_id] = nil
  state.closed[watch_id] = true
  M.request(protocol.methods.unwatchLag, { watch_id = watch_id }, function(err)
    if callback then
      callback(err)
    end
  end)
end

function M.setup(opts)
  state.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  -- A new configuration may well fix what stopped the sidecar: it is tried again with the next command.
  state.problem = nil
  -- Lists are replaced, not merged.
  if opts and opts.cmd then
    state.config.cmd = opts.cmd
  end
  if opts and opts.connections then
    state.config.connections = opts.connections
  end
  require("ide_sidecar.ui").create_commands()
  if state.config.autostart then
    M.start()
  end
end

return M
