-- The message buffer (a topic's records as JSON lines: pages, a start, a search, a tail) and producing records from a
-- buffer's JSON with a dry run first.
local records = require("ide_sidecar.records")

local M = {}

--- The most records a message buffer holds; older lines are dropped as new ones come (a tail can run for hours).
M.MAX_RECORDS = 10000
-- Records per page (the sidecar's default).
M.PAGE_SIZE = 500

-- bufnr -> the buffer's state: { connection_id, topic, start, start_label, filter, cursor, count, loading,
-- generation, at_end, tail_id, tail_starting, scanned }.
local buffers = {}

local function sidecar()
  return require("ide_sidecar")
end

local function notify(message, level)
  sidecar().say(message, level)
end

local function describe_error(action, err)
  return require("ide_sidecar.status").describe_error(action, err)
end

--- The state of a message buffer (for tests and the statusline), or nil.
function M.state(bufnr)
  return buffers[bufnr or vim.api.nvim_get_current_buf()]
end

local function plural(count, one, many)
  return string.format("%d %s", count, count == 1 and one or many)
end

--- The message buffer's statusline: topic, connection, what is loaded and from where, the search, the tail.
function M.statusline()
  local win = vim.g.statusline_winid or 0
  local state = buffers[vim.api.nvim_win_get_buf(win)]
  if not state then
    return "%f"
  end
  local parts = { string.format("ide-sidecar  %s @ %s", state.topic, state.connection_id), plural(state.count, "record", "records"), "from " .. state.start_label }
  if state.filter then
    table.insert(parts, string.format("search %q", state.filter.contains))
  end
  if state.tail_id then
    table.insert(parts, "tailing")
  end
  if state.loading then
    table.insert(parts, "loading…")
  elseif not state.tail_id then
    table.insert(parts, state.at_end and "at the end" or "]p next page")
  end
  return (table.concat(parts, "  ·  "):gsub("%%", "%%%%"))
end

local function set_lines(bufnr, from, to, lines)
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, from, to, false, lines)
  vim.bo[bufnr].modifiable = false
end

--- Appends records as lines and drops the oldest beyond MAX_RECORDS; with `follow` (a tail), a cursor that sat on
--- the last line stays there (as `tail -f` does).
local function append(bufnr, state, new_records, follow)
  if #new_records == 0 or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local lines = {}
  for _, record in ipairs(new_records) do
    table.insert(lines, records.line(record))
  end
  local following = {}
  local last = state.count
  for _, win in ipairs(follow and vim.fn.win_findbuf(bufnr) or {}) do
    if state.count == 0 or vim.api.nvim_win_get_cursor(win)[1] >= last then
      table.insert(following, win)
    end
  end
  if state.count == 0 then
    set_lines(bufnr, 0, -1, lines)
  else
    set_lines(bufnr, -1, -1, lines)
  end
  state.count = state.count + #lines
  local excess = state.count - M.MAX_RECORDS
  if excess > 0 then
    set_lines(bufnr, 0, excess, {})
    state.count = M.MAX_RECORDS
    state.dropped = (state.dropped or 0) + excess
  end
  for _, win in ipairs(following) do
    vim.api.nvim_win_set_cursor(win, { state.count, 0 })
  end
end

local function consume_params(state)
  local params = { connection_id = state.connection_id, topic = state.topic, max_records = M.PAGE_SIZE }
  if state.cursor then
    params.cursor = state.cursor
  else
    params.start = state.start
    -- A search over "the latest records" would only look at the last page of each partition: it searches all.
    if state.filter and not state.start then
      params.start = { from = "beginning" }
    end
  end
  params.filter = state.filter
  return params
end

--- Loads the next page (or the first, after a new start or search) and appends it.
local function load(bufnr)
  local state = buffers[bufnr]
  if state.loading then
    notify("still loading " .. state.topic .. "…")
    return
  end
  state.loading = true
  local generation = state.generation
  vim.cmd("redrawstatus!")
  sidecar().consume(consume_params(state), function(err, page)
    if buffers[bufnr] ~= state or state.generation ~= generation then
      -- Wiped, or started again while this page was on its way.
      return
    end
    state.loading = false
    if err then
      notify(describe_error("read " .. state.topic, err), vim.log.levels.ERROR)
      vim.cmd("redrawstatus!")
      return
    end
    state.cursor = page.cursor
    state.at_end = records.at_end(page)
    state.scanned = (state.scanned or 0) + (page.scanned or 0)
    append(bufnr, state, page.records or {})
    vim.cmd("redrawstatus!")
    local got = #(page.records or {})
    local where = state.at_end and "at the end of " .. state.topic .. " (:IdeSidecarTail follows new records)" or "]p loads the next page"
    if state.filter then
      notify(string.format("%s matching %q in %s read; %s", plural(got, "record", "records"), state.filter.contains, plural(page.scanned or 0, "record", "records"), where))
    else
      notify(string.format("%s from %s; %s", plural(got, "record", "records"), state.topic, where))
    end
  end)
end

local function stop_tail(state)
  if state.tail_id then
    sidecar().untail(state.tail_id)
    state.tail_id = nil
  end
end

--- Empties the buffer and reads again from its start (with its search): after :IdeSidecarFrom or a search.
local function reload(bufnr)
  local state = buffers[bufnr]
  local was_tailing = state.tail_id ~= nil
  stop_tail(state)
  state.generation = state.generation + 1
  state.loading, state.cursor, state.count, state.at_end, state.scanned = false, nil, 0, false, 0
  set_lines(bufnr, 0, -1, {})
  load(bufnr)
  if was_tailing then
    notify("the tail stopped: :IdeSidecarTail follows new records again")
  end
end

local function current(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not buffers[bufnr] then
    notify("not a message buffer: open one with <CR> on a topic in :IdeSidecarList, or :IdeSidecarMessages {connection} {topic}", vim.log.levels.WARN)
    return nil
  end
  return bufnr
end

--- ]p: the next page after the records shown.
function M.next_page(bufnr)
  bufnr = current(bufnr)
  if not bufnr then
    return
  end
  if buffers[bufnr].tail_id then
    notify("the tail adds new records as they come: :IdeSidecarTail stops it")
    return
  end
  load(bufnr)
end

--- :IdeSidecarFrom {start}: reads again from a new start (see records.parse_start for what it takes).
function M.from(bufnr, text)
  bufnr = current(bufnr)
  if not bufnr then
    return
  end
  local start, why, label = records.parse_start(text, os.time() * 1000)
  if why then
    notify(why, vim.log.levels.ERROR)
    return
  end
  local state = buffers[bufnr]
  state.start, state.start_label = start, label
  reload(bufnr)
end

--- :IdeSidecarSearch {text}: reads again from the start, only records containing the text (filter.contains, in the
--- sidecar, ignoring case); an empty text ends the search.
function M.search(bufnr, text)
  bufnr = current(bufnr)
  if not bufnr then
    return
  end
  local state = buffers[bufnr]
  state.filter = (text and text ~= "") and { contains = text } or nil
  reload(bufnr)
end

--- :IdeSidecarTail: starts or stops following the topic's new records (kafka/records/tail), appended as they come.
function M.toggle_tail(bufnr)
  bufnr = current(bufnr)
  if not bufnr then
    return
  end
  local state = buffers[bufnr]
  if state.tail_id then
    stop_tail(state)
    vim.cmd("redrawstatus!")
    notify("stopped following " .. state.topic)
    return
  end
  if state.tail_starting then
    return
  end
  local params = { connection_id = state.connection_id, topic = state.topic, filter = state.filter }
  -- Continue where the pages stopped when they reached the end (nothing missed, nothing twice); otherwise only
  -- what is written from now on.
  if state.cursor and state.at_end and not state.loading then
    local offsets = {}
    for _, partition in ipairs(state.cursor.partitions or {}) do
      table.insert(offsets, { partition = partition.partition, offset = partition.offset })
    end
    params.start = { from = "offsets", offsets = offsets }
  end
  state.tail_starting = true
  local generation = state.generation
  sidecar().tail(params, function(batch)
    if buffers[bufnr] == state and state.tail_id == batch.subscription_id then
      state.cursor = records.advance(state.cursor, batch.records or {})
      append(bufnr, state, batch.records or {}, true)
      vim.cmd("redrawstatus!")
    end
  end, function(ended)
    if buffers[bufnr] == state and state.tail_id == ended.subscription_id then
      state.tail_id = nil
      vim.cmd("redrawstatus!")
    end
    if ended.reason ~= "UNTAIL" then
      notify("the tail of " .. state.topic .. " ended: " .. tostring(ended.message), vim.log.levels.WARN)
    end
  end, function(err, subscription_id)
    state.tail_starting = false
    if err then
      notify(describe_error("follow " .. state.topic, err), vim.log.levels.ERROR)
      return
    end
    if buffers[bufnr] ~= state or state.generation ~= generation then
      -- The buffer was wiped or read again meanwhile.
      sidecar().untail(subscription_id)
      return
    end
    state.tail_id = subscription_id
    vim.cmd("redrawstatus!")
    notify("following " .. state.topic .. ": new records are appended (:IdeSidecarTail stops)")
  end)
end

local function forget(bufnr)
  local state = buffers[bufnr]
  if state then
    buffers[bufnr] = nil
    stop_tail(state)
  end
end

local function use_statusline(win)
  vim.wo[win].statusline = "%!v:lua.require'ide_sidecar.messages'.statusline()"
end

--- Shows a buffer for reading: from the connections list, in the window above it (taking the place of an empty
--- buffer there, else splitting it), so that the list stays as it is; elsewhere in a new split.
local function show_above_list(bufnr)
  if vim.bo.filetype == "ide-sidecar" and vim.fn.winnr("k") ~= vim.fn.winnr() then
    vim.cmd("wincmd k")
    local shown = vim.api.nvim_get_current_buf()
    local empty = vim.api.nvim_buf_get_name(shown) == "" and not vim.bo[shown].modified and vim.api.nvim_buf_line_count(shown) == 1
      and vim.api.nvim_buf_get_lines(shown, 0, 1, false)[1] == ""
    if not empty then
      vim.cmd("split")
    end
  else
    vim.cmd("split")
  end
  vim.api.nvim_win_set_buf(0, bufnr)
end

--- Opens (or shows again) the message buffer of a topic and loads its latest records. opts.start: what
--- :IdeSidecarFrom takes. Returns the buffer.
function M.open(connection_id, topic, opts)
  opts = opts or {}
  local name = "ide-sidecar://messages/" .. connection_id .. "/" .. topic
  local bufnr = vim.fn.bufnr("^" .. vim.fn.escape(name, "\\/.*$^~[]") .. "$")
  local fresh = bufnr == -1 or not buffers[bufnr]
  if fresh then
    if bufnr == -1 then
      bufnr = vim.api.nvim_create_buf(true, true)
      vim.api.nvim_buf_set_name(bufnr, name)
    end
    vim.bo[bufnr].buftype = "nofile"
    vim.bo[bufnr].bufhidden = "hide"
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].modifiable = false
    vim.bo[bufnr].filetype = "json"
    buffers[bufnr] = { connection_id = connection_id, topic = topic, count = 0, generation = 0, start_label = "the latest records" }
    vim.b[bufnr].ide_sidecar_target = { connection_id = connection_id, topic = topic }
    local map = function(lhs, fn, desc)
      vim.keymap.set("n", lhs, fn, { buffer = bufnr, nowait = true, silent = true, desc = desc })
    end
    map("]p", function() M.next_page(bufnr) end, "ide-sidecar: the next page of records")
    map("T", function() M.toggle_tail(bufnr) end, "ide-sidecar: start or stop following new records")
    map("q", function() vim.cmd("bwipeout " .. bufnr) end, "ide-sidecar: close the message buffer (ends its tail)")
    map("P", function() M.produce_template(connection_id, topic) end, "ide-sidecar: a buffer to produce records to this topic")
    local group = vim.api.nvim_create_augroup("ide_sidecar_messages_" .. bufnr, { clear = true })
    vim.api.nvim_create_autocmd({ "BufWipeout", "BufDelete" }, {
      group = group,
      buffer = bufnr,
      callback = function()
        forget(bufnr)
      end,
    })
    vim.api.nvim_create_autocmd("BufWinEnter", {
      group = group,
      buffer = bufnr,
      callback = function()
        use_statusline(vim.api.nvim_get_current_win())
      end,
    })
  end
  local wins = vim.fn.win_findbuf(bufnr)
  if #wins > 0 then
    vim.api.nvim_set_current_win(wins[1])
  else
    show_above_list(bufnr)
  end
  use_statusline(vim.api.nvim_get_current_win())
  if opts.start then
    M.from(bufnr, opts.start)
  elseif fresh then
    reload(bufnr)
  end
  return bufnr
end

-- Produce ----------------------------------------------------------------------------------------------------------

local RESULT_NAME = "ide-sidecar://produce-result"

--- Shows lines in the produce result window (one window, reused).
local function show_result(lines)
  local bufnr = vim.fn.bufnr(RESULT_NAME)
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, RESULT_NAME)
    vim.bo[bufnr].buftype = "nofile"
    vim.bo[bufnr].bufhidden = "hide"
    vim.bo[bufnr].swapfile = false
    vim.keymap.set("n", "q", "<cmd>close<CR>", { buffer = bufnr, nowait = true, silent = true })
  end
  set_lines(bufnr, 0, -1, lines)
  if #vim.fn.win_findbuf(bufnr) == 0 then
    local back = vim.api.nvim_get_current_win()
    vim.cmd("botright " .. math.min(#lines + 1, 12) .. "split")
    vim.api.nvim_win_set_buf(0, bufnr)
    vim.wo.wrap = true
    vim.api.nvim_set_current_win(back)
  end
  vim.cmd("redraw")
end

--- The produce result window's lines (for tests), or nil.
function M.result_lines()
  local bufnr = vim.fn.bufnr(RESULT_NAME)
  return bufnr ~= -1 and vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) or nil
end

local function confirm(prompt, yes_label, next_step)
  local choices = { { value = true, label = yes_label }, { value = false, label = "Cancel" } }
  require("ide_sidecar.ui").choose(prompt, choices, function(yes)
    next_step(yes or false)
  end)
end

--- :IdeSidecarProduce [connection topic]: sends the buffer's records (the params of kafka/records/produce) first as a
--- dry run, shows each record's result, asks, then writes them and shows each record's partition and offset.
function M.produce(bufnr, connection_id, topic)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local target = vim.b[bufnr].ide_sidecar_target or {}
  if connection_id then
    target = { connection_id = connection_id, topic = topic }
  end
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  local params, why = records.produce_params(text, target)
  if not params then
    notify(why, vim.log.levels.ERROR)
    return
  end
  local where = params.topic .. " @ " .. params.connection_id
  -- A refused request writes nothing: said in the result window and as a message.
  local function refused(heading, err)
    local message = describe_error("produce to " .. where, err)
    show_result({ heading .. where .. ": refused, nothing was written", message })
    notify(message, vim.log.levels.ERROR)
  end
  local dry = vim.tbl_extend("force", {}, params, { dry_run = true })
  notify("checking " .. plural(#params.records, "record", "records") .. " for " .. where .. " (a dry run)…")
  sidecar().produce(dry, function(err, result)
    if err then
      refused("Dry run for ", err)
      return
    end
    local lines, ok = records.produce_report(result, true)
    table.insert(lines, 1, string.format("Dry run for %s: %d of %s can be written (nothing was written)", where, ok, plural(#lines, "record", "records")))
    show_result(lines)
    if ok == 0 then
      notify("no record can be written: fix the errors shown, then :IdeSidecarProduce again", vim.log.levels.WARN)
      return
    end
    local refused = #result.records - ok
    local prompt = string.format("Write %s to %s?%s", plural(ok, "record", "records"), where, refused > 0 and string.format(" (%d with errors will not be)", refused) or "")
    -- The question may cover the result window (inputlist scrolls the screen): it names the errors itself.
    local errors = vim.tbl_filter(function(line) return line:find("^records%[%d+%]: error") ~= nil end, lines)
    if #errors > 0 then
      prompt = prompt .. " " .. table.concat(vim.list_slice(errors, 1, 3), "; ") .. (#errors > 3 and "; …" or "")
    end
    confirm(prompt, "Write them", function(yes)
      if not yes then
        notify("nothing was written to " .. where)
        return
      end
      sidecar().produce(params, function(err2, written)
        if err2 then
          refused("Writing to ", err2)
          return
        end
        local report, sent = records.produce_report(written, false)
        table.insert(report, 1, string.format("Written to %s: %d of %s", where, sent, plural(#report, "record", "records")))
        show_result(report)
        notify(string.format("%s written to %s", plural(sent, "record", "records"), where))
      end)
    end)
  end)
end

--- A new buffer to write records for a topic, holding an example document; :IdeSidecarProduce sends it.
function M.produce_template(connection_id, topic)
  local bufnr = vim.api.nvim_create_buf(false, true)
  show_above_list(bufnr)
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].swapfile = false
  vim.bo[bufnr].filetype = "json"
  pcall(vim.api.nvim_buf_set_name, bufnr, "ide-sidecar://produce/" .. connection_id .. "/" .. topic .. "/" .. bufnr)
  vim.b[bufnr].ide_sidecar_target = { connection_id = connection_id, topic = topic }
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, {
    "{",
    '  "records": [',
    '    { "key": { "data": "key-1" }, "value": { "data": { "hello": "world" } }, "headers": [{ "key": "source", "value": "nvim" }] }',
    "  ]",
    "}",
  })
  notify("edit the records, then :IdeSidecarProduce writes them to " .. topic .. " (a dry run first)")
  return bufnr
end

return M
