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

-- Lua's generator starts from the same seed in every Neovim before 0.10: ids made in two sessions would repeat.
local seeded = false

--- A readable unique id: the name in lowercase with dashes, and a random suffix.
function M.new_id(name)
  if not seeded then
    local uv = vim.uv or vim.loop
    math.randomseed(os.time() + vim.fn.getpid() * 7919 + (uv.hrtime() % 1000003))
    seeded = true
  end
  local slug = name:lower():gsub("[^a-z0-9]+", "-"):gsub("^-+", ""):gsub("-+$", ""):sub(1, 40)
  local suffix = string.format("%06x", math.random(0, 0xffffff))
  return (slug ~= "" and slug or "connection") .. "-" .. suffix
end

return M
