-- Builds a DIRECT connection spec from the answers of the add prompts. Pure, checked by the headless test.
local M = {}

M.kafka_auth_choices = {
  { value = "none", label = "No authentication" },
  { value = "plain", label = "Username and password (SASL PLAIN)" },
  { value = "api_key", label = "API key and secret (SASL PLAIN)" },
  { value = "scram_sha_256", label = "SCRAM-SHA-256" },
  { value = "scram_sha_512", label = "SCRAM-SHA-512" },
}

M.tls_choices = {
  { value = "tls", label = "TLS (system CAs)" },
  { value = "truststore", label = "TLS with a truststore file" },
  { value = "plaintext", label = "Plaintext" },
}

M.registry_auth_choices = {
  { value = "none", label = "No authentication" },
  { value = "basic", label = "Username and password" },
  { value = "api_key", label = "API key and secret" },
}

local function trim(value)
  return value and vim.trim(value) or ""
end

local function credentials(auth, user, secret)
  if auth == "plain" or auth == "basic" then
    return { username = user, password = secret }
  elseif auth == "api_key" then
    return { api_key = user, api_secret = secret }
  elseif auth == "scram_sha_256" or auth == "scram_sha_512" then
    return {
      hash_algorithm = auth == "scram_sha_256" and "SCRAM_SHA_256" or "SCRAM_SHA_512",
      scram_username = user,
      scram_password = secret,
    }
  end
  return nil
end

--- answers: { id?, name, bootstrap_servers, kafka_auth, kafka_user?, kafka_secret?, tls, truststore_path?,
---            truststore_type?, truststore_password?, schema_registry_uri, registry_auth, registry_user?, registry_secret? }
function M.build(answers)
  local spec = { name = trim(answers.name), type = "DIRECT", id = answers.id }
  local servers = trim(answers.bootstrap_servers):gsub("%s*,%s*", ",")
  if servers ~= "" then
    local ssl = { enabled = answers.tls ~= "plaintext" }
    if answers.tls == "truststore" and trim(answers.truststore_path) ~= "" then
      ssl.truststore = { path = trim(answers.truststore_path), type = answers.truststore_type or "PEM" }
      if trim(answers.truststore_password) ~= "" then
        ssl.truststore.password = answers.truststore_password
      end
    end
    spec.kafka_cluster = {
      bootstrap_servers = servers,
      ssl = ssl,
      credentials = credentials(answers.kafka_auth, answers.kafka_user, answers.kafka_secret),
    }
  end
  local uri = trim(answers.schema_registry_uri)
  if uri ~= "" then
    spec.schema_registry = { uri = uri, credentials = credentials(answers.registry_auth, answers.registry_user, answers.registry_secret) }
  end
  return spec
end

--- The answers that build a spec like `spec` (a DIRECT spec as the sidecar shows it, secrets masked), to start the
--- questions of an edit from. Credentials the questions cannot express are "keep": left as they are.
function M.answers_from(spec)
  local a = { name = spec.name or "", bootstrap_servers = "", schema_registry_uri = "" }
  local cluster = type(spec.kafka_cluster) == "table" and spec.kafka_cluster or nil
  if cluster then
    a.bootstrap_servers = cluster.bootstrap_servers or ""
    local c = type(cluster.credentials) == "table" and cluster.credentials or nil
    if not c then
      a.kafka_auth = "none"
    elseif c.hash_algorithm then
      a.kafka_auth = c.hash_algorithm == "SCRAM_SHA_256" and "scram_sha_256" or "scram_sha_512"
      a.kafka_user, a.kafka_secret = c.scram_username, c.scram_password
    elseif c.api_key then
      a.kafka_auth, a.kafka_user, a.kafka_secret = "api_key", c.api_key, c.api_secret
    elseif c.username then
      a.kafka_auth, a.kafka_user, a.kafka_secret = "plain", c.username, c.password
    else
      a.kafka_auth = "keep"
    end
    local ssl = type(cluster.ssl) == "table" and cluster.ssl or {}
    if ssl.enabled == false then
      a.tls = "plaintext"
    elseif type(ssl.truststore) == "table" then
      a.tls = "truststore"
      a.truststore_path, a.truststore_type, a.truststore_password = ssl.truststore.path, ssl.truststore.type, ssl.truststore.password
    else
      a.tls = "tls"
    end
  end
  local registry = type(spec.schema_registry) == "table" and spec.schema_registry or nil
  if registry then
    a.schema_registry_uri = registry.uri or ""
    local c = type(registry.credentials) == "table" and registry.credentials or nil
    if not c then
      a.registry_auth = "none"
    elseif c.api_key then
      a.registry_auth, a.registry_user, a.registry_secret = "api_key", c.api_key, c.api_secret
    elseif c.username then
      a.registry_auth, a.registry_user, a.registry_secret = "basic", c.username, c.password
    else
      a.registry_auth = "keep"
    end
  end
  return a
end

--- The spec paths each answer goes to (without the leading "spec."): a validation problem at one of these paths, or
--- under one, is that answer's fault. "kafka_cluster" itself is where "needs a Kafka cluster or a Schema Registry"
--- is said: both questions.
M.answer_paths = {
  name = { "name" },
  bootstrap_servers = { "kafka_cluster.bootstrap_servers", "kafka_cluster" },
  kafka_auth = { "kafka_cluster.credentials", "kafka_cluster.credentials.hash_algorithm" },
  kafka_user = { "kafka_cluster.credentials.username", "kafka_cluster.credentials.api_key", "kafka_cluster.credentials.scram_username" },
  kafka_secret = { "kafka_cluster.credentials.password", "kafka_cluster.credentials.api_secret", "kafka_cluster.credentials.scram_password" },
  tls = { "kafka_cluster.ssl", "kafka_cluster.ssl.enabled", "kafka_cluster.ssl.truststore" },
  truststore_path = { "kafka_cluster.ssl.truststore.path" },
  truststore_password = { "kafka_cluster.ssl.truststore.password" },
  schema_registry_uri = { "schema_registry.uri", "schema_registry", "kafka_cluster" },
  registry_auth = { "schema_registry.credentials" },
  registry_user = { "schema_registry.credentials.username", "schema_registry.credentials.api_key" },
  registry_secret = { "schema_registry.credentials.password", "schema_registry.credentials.api_secret" },
}

--- The questions' answer keys in the order they are asked, and what each question is called.
M.answer_order = {
  "name", "bootstrap_servers", "kafka_auth", "kafka_user", "kafka_secret", "tls", "truststore_path",
  "truststore_password", "schema_registry_uri", "registry_auth", "registry_user", "registry_secret",
}
M.answer_labels = {
  name = "Connection name",
  bootstrap_servers = "Bootstrap servers",
  kafka_auth = "Kafka authentication",
  kafka_user = "Kafka username or API key",
  kafka_secret = "Kafka password or API secret",
  tls = "Transport security",
  truststore_path = "Truststore path",
  truststore_password = "Truststore password",
  schema_registry_uri = "Schema Registry URL",
  registry_auth = "Schema Registry authentication",
  registry_user = "Schema Registry username or API key",
  registry_secret = "Schema Registry password or API secret",
}

--- The answers to ask again for a validation error's `data.errors` (each with a `source` such as
--- "kafka_cluster.bootstrap_servers" or "spec.kafka_cluster.bootstrap_servers"): a set of answer keys, the ones whose
--- path is the longest that the source is or is under. nil when some problem cannot be tied to an answer (then
--- every question is asked again).
function M.answers_to_fix(errors)
  if type(errors) ~= "table" or #errors == 0 then
    return nil
  end
  local keys = {}
  for _, problem in ipairs(errors) do
    local source = type(problem) == "table" and type(problem.source) == "string" and problem.source or ""
    source = source:gsub("^spec%.", "")
    local best, best_length = {}, 0
    for key, paths in pairs(M.answer_paths) do
      for _, path in ipairs(paths) do
        -- A section's own name ("kafka_cluster") is only itself: what is under it may be no answer's.
        local under = path:find(".", 1, true) and source:sub(1, #path + 1) == path .. "."
        if (source == path or under) and #path >= best_length then
          if #path > best_length then
            best, best_length = {}, #path
          end
          best[key] = true
        end
      end
    end
    if best_length == 0 then
      return nil
    end
    for key in pairs(best) do
      keys[key] = true
    end
  end
  return keys
end

local function is_object(value)
  return type(value) == "table" and not (next(value) ~= nil and (vim.islist or vim.tbl_islist)(value))
end

--- The JSON merge patch (RFC 7386) that turns `old` into `new`: changed values, vim.NIL for removed keys, nested
--- objects patched key by key (so what neither has, such as a keystore the questions do not ask about, stays).
function M.merge_patch(old, new)
  local patch = {}
  for key, value in pairs(new) do
    local before = old[key]
    if is_object(value) and is_object(before) then
      local nested = M.merge_patch(before, value)
      if next(nested) ~= nil then
        patch[key] = nested
      end
    elseif not vim.deep_equal(before, value) then
      patch[key] = value
    end
  end
  for key in pairs(old) do
    if new[key] == nil then
      patch[key] = vim.NIL
    end
  end
  return patch
end

M.MASK = "********"

--- Whether `stored` (a spec as the sidecar shows it) differs from `configured` in what `configured` sets, compared
--- recursively (what only the stored one has does not count; a list must have the same length). A stored mask is a
--- secret the sidecar hides: equal to any configured string, since the configured one cannot be compared with it.
function M.differs(configured, stored)
  if type(configured) == "table" then
    if type(stored) ~= "table" then
      return true
    end
    local islist = vim.islist or vim.tbl_islist
    if #configured > 0 and islist(configured) and #configured ~= #stored then
      return true
    end
    for key, value in pairs(configured) do
      if M.differs(value, stored[key]) then
        return true
      end
    end
    return false
  end
  if type(configured) == "string" and stored == M.MASK then
    return false
  end
  return configured ~= stored
end

--- Applies a merge patch to a spec held with its real secrets: a masked value in the patch keeps the real one.
function M.apply_patch(target, patch)
  local out = vim.deepcopy(target)
  for key, value in pairs(patch) do
    if value == vim.NIL then
      out[key] = nil
    elseif is_object(value) then
      out[key] = M.apply_patch(is_object(out[key]) and out[key] or {}, value)
    elseif not (value == M.MASK and out[key] ~= nil) then
      out[key] = value
    end
  end
  return out
end

-- Lua's generator starts from the same seed in every Neovim before 0.10: ids made in two sessions would repeat.
local seeded = false

local function slug(name)
  local text = name:lower():gsub("[^a-z0-9]+", "-"):gsub("^-+", ""):gsub("-+$", ""):sub(1, 40)
  return text ~= "" and text or "connection"
end

--- A readable unique id: the name in lowercase with dashes, and a random suffix.
function M.new_id(name)
  if not seeded then
    local uv = vim.uv or vim.loop
    math.randomseed(os.time() + vim.fn.getpid() * 7919 + (uv.hrtime() % 1000003))
    seeded = true
  end
  return slug(name) .. "-" .. string.format("%06x", math.random(0, 0xffffff))
end

--- The id of a configured connection that has none: the same at every start (so the shared store holds one copy,
--- not one per start), `config-` and the name in lowercase with dashes, `-2`, `-3`... for a name used again.
--- `taken` is a set of the ids given so far.
function M.config_id(name, taken)
  local base = "config-" .. slug(name)
  local id, n = base, 1
  while taken[id] do
    n = n + 1
    id = base .. "-" .. n
  end
  return id
end

return M
