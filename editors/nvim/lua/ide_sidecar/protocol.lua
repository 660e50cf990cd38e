-- Generated from schema/protocol.json by tests/schema.rs: do not edit.
-- Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema`.
local M = {}

M.protocol_version = "1.0"

--- Method names, by the row of the method table (lower camel case).
M.methods = {
  listConnections = "connections/list",
  getConnection = "connections/get",
  createConnection = "connections/create",
  updateConnection = "connections/update",
  patchConnection = "connections/patch",
  deleteConnection = "connections/delete",
  refreshConnection = "connections/refresh",
  signIn = "ccloud/signIn",
  signOut = "ccloud/signOut",
  listCloudResources = "ccloud/resources",
  listTopics = "kafka/topics/list",
  describeTopic = "kafka/topics/describe",
  createTopic = "kafka/topics/create",
  deleteTopic = "kafka/topics/delete",
  alterTopicConfigs = "kafka/topics/alterConfigs",
  listGroups = "kafka/groups/list",
  describeGroup = "kafka/groups/describe",
  resetGroupOffsets = "kafka/groups/resetOffsets",
  watchLag = "kafka/lag/watch",
  unwatchLag = "kafka/lag/unwatch",
  consumeRecords = "kafka/records/consume",
  tailRecords = "kafka/records/tail",
  untailRecords = "kafka/records/untail",
  produceRecords = "kafka/records/produce",
  listSubjects = "schemas/subjects/list",
  listSchemaVersions = "schemas/versions/list",
  getSchema = "schemas/get",
  registerSchema = "schemas/register",
  checkSchemaCompatibility = "schemas/checkCompatibility",
  getSchemaConfig = "schemas/config/get",
  setSchemaConfig = "schemas/config/set",
  deleteSchema = "schemas/delete",
}

--- Notification names, by the row of the table (lower camel case).
M.notifications = {
  connectionsEvent = "connections/event",
  lagChanged = "kafka/lag",
  lagWatchEnded = "kafka/lag/ended",
  tailBatch = "kafka/records",
  tailStopped = "kafka/tail/ended",
}

--- JSON-RPC error codes, by name.
M.errors = {
  parseError = -32700, -- parse error: the frame's body is not JSON
  invalidRequest = -32600, -- invalid request: JSON, but not a JSON-RPC request
  methodNotFound = -32601, -- unknown method
  invalidParams = -32602, -- invalid params: malformed params or a validation failure; data.errors lists each problem
  internalError = -32603, -- internal error: the handler failed; data names the method
  requestCancelled = -32800, -- the request was cancelled by $/cancelRequest
  notInitialized = -32002, -- a request arrived before initialize
  connectionNotFound = -32010, -- connection not found
  connectionExists = -32011, -- a connection with this id already exists
  patchConflict = -32012, -- the connection kept changing while a patch was applied; try again
  ccloudSignInFailed = -32020, -- Confluent Cloud sign-in could not start (the callback port is in use) or an organization switch failed
  notCcloud = -32021, -- the connection is not a CCLOUD connection
  ccloudSignedOut = -32022, -- the CCLOUD connection is not signed in, or its session expired or was refused; sign in with ccloud/signIn
  ccloudRefused = -32023, -- Confluent Cloud refused the request (permission denied, too many requests); the message says why
  ccloudUnavailable = -32024, -- Confluent Cloud could not be read (unreachable, HTTP 5xx, a malformed answer, endless paging); the message says why
  kafkaUnavailable = -32030, -- the Kafka cluster could not be reached; the message says why, as the connection's status does
  noKafkaCluster = -32031, -- the connection has no Kafka cluster
  notSupported = -32032, -- not supported for this connection or by this cluster
  topicNotFound = -32033, -- Kafka: the topic does not exist
  topicExists = -32034, -- Kafka: a topic with this name already exists
  groupNotFound = -32035, -- Kafka: the consumer group does not exist
  groupNotEmpty = -32036, -- Kafka: the consumer group has active members
  kafkaDenied = -32037, -- Kafka: authorization denied; data names the operation
  kafkaInvalid = -32038, -- Kafka: the request is invalid (partition count, replication factor, config); data has Kafka's error
  kafkaRefused = -32039, -- Kafka refused the request; data has Kafka's error name and message
  watchNotFound = -32040, -- no lag watch has this id
  tailNotFound = -32041, -- no tail has this subscription id
  tooManyTails = -32042, -- this session already runs the most tails it may (16); untail one first
  noSchemaRegistry = -32050, -- the connection has no Schema Registry
  schemaRegistryUnavailable = -32051, -- the Schema Registry could not be reached; the message says why, as the connection's status does
  subjectNotFound = -32052, -- Schema Registry: the subject does not exist (40401)
  versionNotFound = -32053, -- Schema Registry: the subject has no such version (40402)
  schemaNotFound = -32054, -- Schema Registry: the schema does not exist (40403)
  incompatibleSchema = -32055, -- Schema Registry: the schema is incompatible with the subject's earlier versions (409)
  invalidSchema = -32056, -- Schema Registry: the schema is invalid (42201)
  registryRefused = -32057, -- the Schema Registry refused the request; data has its error_code, message and HTTP status
}

return M
