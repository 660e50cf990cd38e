//! librdkafka's admin API on a shared client: topics, configs, offsets and group offsets.
//!
//! rdkafka's own `AdminClient` makes a client of its own, with its own threads and connections; the
//! data plane must reuse the client a connection's checks already keep open (see [`super::clients`]).
//! librdkafka's admin calls work on any client handle and answer on a queue the caller gives, so
//! each request here makes a queue on the shared client, sends, and waits on that queue (blocking:
//! callers run it off the runtime). Every pointer librdkafka hands back lives in the
//! result event and is copied into plain Rust values before the event is destroyed.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;
use std::time::{Duration, Instant};

use rdkafka::bindings as sys;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::types::RDKafkaRespErr;

use super::clients::SharedClient;
use crate::protocol::kafka::ConfigEntry;

/// An error librdkafka or the broker answered, with the broker's name for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminError {
    pub code: RDKafkaErrorCode,
    /// Kafka's name for the error, such as `TOPIC_ALREADY_EXISTS`.
    pub name: String,
    /// The message that came with it (the broker's own when it sent one).
    pub message: String,
}

impl AdminError {
    fn of(code: RDKafkaRespErr, message: Option<String>) -> Self {
        // SAFETY: librdkafka returns static NUL-terminated strings for every code.
        let name = unsafe { text(sys::rd_kafka_err2name(code)) }.unwrap_or_default();
        let fallback = || unsafe { text(sys::rd_kafka_err2str(code)) }.unwrap_or_default();
        let message = message.filter(|message| !message.is_empty()).unwrap_or_else(fallback);
        Self { code: code.into(), name, message }
    }

    /// The request got no answer in time (librdkafka's own timeout, or ours).
    pub fn is_timeout(&self) -> bool {
        matches!(self.code, RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut)
    }

    /// An error object librdkafka handed back.
    ///
    /// # Safety
    /// `error` is valid.
    unsafe fn from_error(error: *const sys::rd_kafka_error_t) -> Self {
        Self::of(sys::rd_kafka_error_code(error), text(sys::rd_kafka_error_string(error)))
    }

    fn timed_out(waited: Duration) -> Self {
        Self {
            code: RDKafkaErrorCode::OperationTimedOut,
            name: "_TIMED_OUT".into(),
            message: format!("no answer within {} ms", waited.as_millis()),
        }
    }

    fn local(message: impl Into<String>) -> Self {
        Self { code: RDKafkaErrorCode::InvalidArgument, name: "_INVALID_ARG".into(), message: message.into() }
    }
}

/// Copies a C string librdkafka owns.
///
/// # Safety
/// `pointer` is null or a valid NUL-terminated string.
unsafe fn text(pointer: *const c_char) -> Option<String> {
    (!pointer.is_null()).then(|| CStr::from_ptr(pointer).to_string_lossy().into_owned())
}

fn c_string(value: &str) -> Result<CString, AdminError> {
    CString::new(value).map_err(|_| AdminError::local("a name or value contains a NUL character"))
}

/// A queue on the client, on which one request answers; destroyed with its last event.
struct Queue(*mut sys::rd_kafka_queue_t);

impl Queue {
    fn new(client: &SharedClient) -> Self {
        // SAFETY: the handle is valid while `client` lives, which outlives the queue (both are
        // used only within one request on one thread).
        Self(unsafe { sys::rd_kafka_queue_new(client.native()) })
    }

    /// Waits for the request's result event, until `deadline`.
    fn wait(&self, started: Instant, deadline: Instant) -> Result<Event, AdminError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AdminError::timed_out(started.elapsed()));
            }
            let slice = left.min(Duration::from_millis(100)).as_millis().max(1) as i32;
            // SAFETY: the queue is valid until dropped.
            let event = unsafe { sys::rd_kafka_queue_poll(self.0, slice) };
            if !event.is_null() {
                let event = Event(event);
                // SAFETY: the event is valid until dropped.
                let code = unsafe { sys::rd_kafka_event_error(event.0) };
                if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
                    let message = unsafe { text(sys::rd_kafka_event_error_string(event.0)) };
                    return Err(AdminError::of(code, message));
                }
                return Ok(event);
            }
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_queue_new, destroyed once.
        unsafe { sys::rd_kafka_queue_destroy(self.0) }
    }
}

struct Event(*mut sys::rd_kafka_event_t);

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: an event from rd_kafka_queue_poll, destroyed once.
        unsafe { sys::rd_kafka_event_destroy(self.0) }
    }
}

/// Admin options: the request timeout, and `validate_only` where the request takes it.
struct Options(*mut sys::rd_kafka_AdminOptions_t);

impl Options {
    fn new(client: &SharedClient, timeout: Duration, validate_only: bool) -> Result<Self, AdminError> {
        // SAFETY: the handle is valid while `client` lives.
        let options = Self(unsafe {
            sys::rd_kafka_AdminOptions_new(client.native(), sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ANY)
        });
        let mut error = [0 as c_char; 256];
        let millis = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: the options are valid; the buffer's size is passed with it.
        let code = unsafe {
            sys::rd_kafka_AdminOptions_set_request_timeout(options.0, millis, error.as_mut_ptr(), error.len())
        };
        options.check(code, &error)?;
        if validate_only {
            let code =
                unsafe { sys::rd_kafka_AdminOptions_set_validate_only(options.0, 1, error.as_mut_ptr(), error.len()) };
            options.check(code, &error)?;
            let code = unsafe {
                sys::rd_kafka_AdminOptions_set_operation_timeout(options.0, millis, error.as_mut_ptr(), error.len())
            };
            options.check(code, &error)?;
        }
        Ok(options)
    }

    fn check(&self, code: RDKafkaRespErr, error: &[c_char]) -> Result<(), AdminError> {
        if code == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Ok(());
        }
        // SAFETY: librdkafka wrote a NUL-terminated message into the buffer.
        Err(AdminError::of(code, unsafe { text(error.as_ptr()) }))
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_AdminOptions_new, destroyed once.
        unsafe { sys::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

/// One admin call on a client: its options (timeout, `validate_only`) and its deadline, shared by
/// the requests it sends (each on a queue of its own, so that several can be in flight at once).
struct Call<'a> {
    client: &'a SharedClient,
    options: Options,
    started: Instant,
    deadline: Instant,
}

type Handle = *mut sys::rd_kafka_t;
type OptionsPtr = *const sys::rd_kafka_AdminOptions_t;
type QueuePtr = *mut sys::rd_kafka_queue_t;

impl<'a> Call<'a> {
    fn new(client: &'a SharedClient, timeout: Duration, validate_only: bool) -> Result<Self, AdminError> {
        let started = Instant::now();
        let options = Options::new(client, timeout, validate_only)?;
        Ok(Self { client, options, started, deadline: started + timeout })
    }

    /// Sends a request: `send` gets the client's handle, the options and the queue to answer on.
    fn send(&self, send: impl FnOnce(Handle, OptionsPtr, QueuePtr)) -> Queue {
        let queue = Queue::new(self.client);
        send(self.client.native(), self.options.0, queue.0);
        queue
    }

    /// Waits for a sent request's result, until the call's deadline.
    fn wait(&self, queue: &Queue) -> Result<Event, AdminError> {
        queue.wait(self.started, self.deadline)
    }

    /// Sends a request and reads its result event.
    fn request<T>(
        &self,
        send: impl FnOnce(Handle, OptionsPtr, QueuePtr),
        read: impl FnOnce(*mut sys::rd_kafka_event_t) -> Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        let queue = self.send(send);
        read(self.wait(&queue)?.0)
    }
}

/// A topic-partition list librdkafka owns.
struct PartitionList(*mut sys::rd_kafka_topic_partition_list_t);

impl PartitionList {
    fn new(entries: &[(&str, i32, i64)]) -> Result<Self, AdminError> {
        // SAFETY: a fresh list; entries are added through librdkafka, which copies the topic names.
        let list = Self(unsafe { sys::rd_kafka_topic_partition_list_new(entries.len().max(1) as i32) });
        for (topic, partition, offset) in entries {
            let topic = c_string(topic)?;
            let entry = unsafe { sys::rd_kafka_topic_partition_list_add(list.0, topic.as_ptr(), *partition) };
            unsafe { (*entry).offset = *offset };
        }
        Ok(list)
    }
}

impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_topic_partition_list_new, destroyed once.
        unsafe { sys::rd_kafka_topic_partition_list_destroy(self.0) }
    }
}

/// One partition of a result: its topic, partition, offset and own error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionResult {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: Option<AdminError>,
}

/// Copies a partition list librdkafka owns (inside a result event).
///
/// # Safety
/// `list` is null or valid for the duration of the call.
unsafe fn partitions(list: *const sys::rd_kafka_topic_partition_list_t) -> Vec<PartitionResult> {
    if list.is_null() {
        return Vec::new();
    }
    let list = &*list;
    (0..list.cnt.max(0) as usize).map(|index| partition_result(&*list.elems.add(index))).collect()
}

/// Copies one partition of a result.
///
/// # Safety
/// `entry.topic` is null or a valid string.
unsafe fn partition_result(entry: &sys::rd_kafka_topic_partition_t) -> PartitionResult {
    PartitionResult {
        topic: text(entry.topic).unwrap_or_default(),
        partition: entry.partition,
        offset: entry.offset,
        error: (entry.err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR).then(|| AdminError::of(entry.err, None)),
    }
}

/// The outcome of a request on one topic (create, delete), from its result's topic entries.
///
/// # Safety
/// `topics` points at `count` valid topic results.
unsafe fn topic_outcome(topics: *mut *const sys::rd_kafka_topic_result_t, count: usize) -> Result<(), AdminError> {
    for index in 0..count {
        let topic = *topics.add(index);
        let code = sys::rd_kafka_topic_result_error(topic);
        if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(AdminError::of(code, text(sys::rd_kafka_topic_result_error_string(topic))));
        }
    }
    Ok(())
}

/// What `create_topic` asks for.
pub struct NewTopic<'a> {
    pub name: &'a str,
    /// -1 for the cluster's default.
    pub partitions: i32,
    /// -1 for the cluster's default.
    pub replication_factor: i32,
    pub configs: &'a BTreeMap<String, String>,
    pub validate_only: bool,
}

/// Creates a topic (or, with `validate_only`, asks the cluster whether it could).
pub fn create_topic(client: &SharedClient, topic: &NewTopic<'_>, timeout: Duration) -> Result<(), AdminError> {
    let call = Call::new(client, timeout, topic.validate_only)?;
    let name = c_string(topic.name)?;
    let mut error = [0 as c_char; 512];
    // SAFETY: valid arguments; the buffer's size is passed with it.
    let new = unsafe {
        sys::rd_kafka_NewTopic_new(
            name.as_ptr(),
            topic.partitions,
            topic.replication_factor,
            error.as_mut_ptr(),
            error.len(),
        )
    };
    if new.is_null() {
        return Err(AdminError::local(unsafe { text(error.as_ptr()) }.unwrap_or_default()));
    }
    let mut new_topics = [new];
    let result = (|| {
        for (key, value) in topic.configs {
            let (key, value) = (c_string(key)?, c_string(value)?);
            let code = unsafe { sys::rd_kafka_NewTopic_set_config(new, key.as_ptr(), value.as_ptr()) };
            if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(AdminError::of(code, None));
            }
        }
        call.request(
            // SAFETY: librdkafka copies the request.
            |rk, options, queue| unsafe { sys::rd_kafka_CreateTopics(rk, new_topics.as_mut_ptr(), 1, options, queue) },
            |event| unsafe {
                let result = sys::rd_kafka_event_CreateTopics_result(event);
                let mut count = 0;
                topic_outcome(sys::rd_kafka_CreateTopics_result_topics(result, &mut count), count)
            },
        )
    })();
    // SAFETY: librdkafka copied what it needs when the request was made.
    unsafe { sys::rd_kafka_NewTopic_destroy(new) };
    result
}

/// Deletes a topic.
pub fn delete_topic(client: &SharedClient, name: &str, timeout: Duration) -> Result<(), AdminError> {
    let call = Call::new(client, timeout, false)?;
    let name = c_string(name)?;
    // SAFETY: valid arguments; the request copies what it keeps.
    let delete = unsafe { sys::rd_kafka_DeleteTopic_new(name.as_ptr()) };
    let mut deletes = [delete];
    let result = call.request(
        |rk, options, queue| unsafe { sys::rd_kafka_DeleteTopics(rk, deletes.as_mut_ptr(), 1, options, queue) },
        |event| unsafe {
            let result = sys::rd_kafka_event_DeleteTopics_result(event);
            let mut count = 0;
            topic_outcome(sys::rd_kafka_DeleteTopics_result_topics(result, &mut count), count)
        },
    );
    unsafe { sys::rd_kafka_DeleteTopic_destroy(delete) };
    result
}

/// A topic config resource with its changes, destroyed after the request.
struct Resource(*mut sys::rd_kafka_ConfigResource_t);

impl Resource {
    fn topic(name: &str) -> Result<Self, AdminError> {
        let name = c_string(name)?;
        // SAFETY: librdkafka copies the name.
        Ok(Self(unsafe {
            sys::rd_kafka_ConfigResource_new(sys::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC, name.as_ptr())
        }))
    }
}

impl Drop for Resource {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_ConfigResource_new, destroyed once.
        unsafe { sys::rd_kafka_ConfigResource_destroy(self.0) }
    }
}

/// The error of a config resource in a result, if any.
///
/// # Safety
/// `resource` is valid.
unsafe fn resource_error(resource: *const sys::rd_kafka_ConfigResource_t) -> Result<(), AdminError> {
    let code = sys::rd_kafka_ConfigResource_error(resource);
    if code == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    Err(AdminError::of(code, text(sys::rd_kafka_ConfigResource_error_string(resource))))
}

/// A topic's configs, sorted by name.
pub fn describe_topic_configs(
    client: &SharedClient,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<ConfigEntry>, AdminError> {
    let call = Call::new(client, timeout, false)?;
    let resource = Resource::topic(topic)?;
    let mut resources = [resource.0];
    let queue = call.send(|rk, options, queue| unsafe {
        sys::rd_kafka_DescribeConfigs(rk, resources.as_mut_ptr(), 1, options, queue)
    });
    let event = call.wait(&queue)?;
    let mut configs = Vec::new();
    unsafe {
        let result = sys::rd_kafka_event_DescribeConfigs_result(event.0);
        let mut count = 0;
        let described = sys::rd_kafka_DescribeConfigs_result_resources(result, &mut count);
        for index in 0..count {
            let resource = *described.add(index);
            resource_error(resource)?;
            let mut entries_count = 0;
            let entries = sys::rd_kafka_ConfigResource_configs(resource, &mut entries_count);
            for entry_index in 0..entries_count {
                let entry = *entries.add(entry_index);
                let sensitive = sys::rd_kafka_ConfigEntry_is_sensitive(entry) != 0;
                configs.push(ConfigEntry {
                    name: text(sys::rd_kafka_ConfigEntry_name(entry)).unwrap_or_default(),
                    value: if sensitive { None } else { text(sys::rd_kafka_ConfigEntry_value(entry)) },
                    source: text(sys::rd_kafka_ConfigSource_name(sys::rd_kafka_ConfigEntry_source(entry)))
                        .unwrap_or_default(),
                    read_only: sys::rd_kafka_ConfigEntry_is_read_only(entry) != 0,
                    sensitive,
                });
            }
        }
    }
    configs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(configs)
}

/// Sets and removes topic configs, leaving the others as they are (IncrementalAlterConfigs).
pub fn alter_topic_configs(
    client: &SharedClient,
    topic: &str,
    set: &BTreeMap<String, String>,
    delete: &[String],
    validate_only: bool,
    timeout: Duration,
) -> Result<(), AdminError> {
    use sys::rd_kafka_AlterConfigOpType_t::{RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE, RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET};
    let call = Call::new(client, timeout, validate_only)?;
    let resource = Resource::topic(topic)?;
    let changes = set
        .iter()
        .map(|(name, value)| (name.as_str(), Some(value.as_str()), RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET))
        .chain(delete.iter().map(|name| (name.as_str(), None, RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE)));
    for (name, value, op) in changes {
        let name = c_string(name)?;
        let value = value.map(c_string).transpose()?;
        let value_ptr = value.as_ref().map_or(ptr::null(), |value| value.as_ptr());
        // SAFETY: valid resource and strings, copied by librdkafka.
        let error =
            unsafe { sys::rd_kafka_ConfigResource_add_incremental_config(resource.0, name.as_ptr(), op, value_ptr) };
        if !error.is_null() {
            // SAFETY: an error librdkafka made for the caller, destroyed once.
            let failure = unsafe { AdminError::from_error(error) };
            unsafe { sys::rd_kafka_error_destroy(error) };
            return Err(failure);
        }
    }
    let mut resources = [resource.0];
    call.request(
        |rk, options, queue| unsafe {
            sys::rd_kafka_IncrementalAlterConfigs(rk, resources.as_mut_ptr(), 1, options, queue)
        },
        |event| unsafe {
            let result = sys::rd_kafka_event_IncrementalAlterConfigs_result(event);
            let mut count = 0;
            let altered = sys::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut count);
            (0..count).try_for_each(|index| resource_error(*altered.add(index)))
        },
    )
}

/// Which offset [`list_offsets`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this one (ms since the epoch).
    Timestamp(i64),
}

impl OffsetSpec {
    fn value(self) -> i64 {
        match self {
            Self::Earliest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST as i64,
            Self::Latest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST as i64,
            Self::Timestamp(at) => at,
        }
    }
}

/// Asks for offsets of many partitions at once, one request per spec, all in flight together.
/// Each answer lists every partition asked, with its offset or its own error.
pub fn list_offsets(
    client: &SharedClient,
    requests: &[(OffsetSpec, &[(&str, i32)])],
    timeout: Duration,
) -> Result<Vec<Vec<PartitionResult>>, AdminError> {
    let call = Call::new(client, timeout, false)?;
    let mut queues = Vec::with_capacity(requests.len());
    for (spec, partitions_asked) in requests {
        let entries: Vec<(&str, i32, i64)> =
            partitions_asked.iter().map(|(topic, partition)| (*topic, *partition, spec.value())).collect();
        let queue = match entries.is_empty() {
            true => None,
            false => {
                let list = PartitionList::new(&entries)?;
                // SAFETY: librdkafka copies the list.
                Some(call.send(|rk, options, queue| unsafe { sys::rd_kafka_ListOffsets(rk, list.0, options, queue) }))
            }
        };
        queues.push(queue);
    }
    let mut answers = Vec::with_capacity(queues.len());
    for queue in queues {
        let Some(queue) = queue else {
            answers.push(Vec::new());
            continue;
        };
        let event = call.wait(&queue)?;
        let mut answer = Vec::new();
        unsafe {
            let result = sys::rd_kafka_event_ListOffsets_result(event.0);
            let mut count = 0;
            let infos = sys::rd_kafka_ListOffsets_result_infos(result, &mut count);
            for index in 0..count {
                let partition = sys::rd_kafka_ListOffsetsResultInfo_topic_partition(*infos.add(index));
                if !partition.is_null() {
                    answer.push(partition_result(&*partition));
                }
            }
        }
        answers.push(answer);
    }
    Ok(answers)
}

/// The offsets a group has committed: for the partitions given, or every partition it committed.
pub fn group_offsets(
    client: &SharedClient,
    group: &str,
    only: Option<&[(&str, i32)]>,
    timeout: Duration,
) -> Result<Vec<PartitionResult>, AdminError> {
    let mut answers = groups_offsets(client, &[group], only, timeout)?;
    answers.pop().unwrap_or_else(|| Ok(Vec::new()))
}

/// The offsets many groups have committed, all requests in flight at once (librdkafka takes one
/// group per request). Each group's answer, or its own error, in the order asked.
pub fn groups_offsets(
    client: &SharedClient,
    groups: &[&str],
    only: Option<&[(&str, i32)]>,
    timeout: Duration,
) -> Result<Vec<Result<Vec<PartitionResult>, AdminError>>, AdminError> {
    let call = Call::new(client, timeout, false)?;
    let list = match only {
        Some(asked) => {
            let entries: Vec<(&str, i32, i64)> =
                asked.iter().map(|(topic, partition)| (*topic, *partition, -1)).collect();
            Some(PartitionList::new(&entries)?)
        }
        None => None,
    };
    let mut sent = Vec::with_capacity(groups.len());
    for group in groups {
        let group_name = c_string(group)?;
        // SAFETY: librdkafka copies the name and the list.
        let request = unsafe {
            sys::rd_kafka_ListConsumerGroupOffsets_new(
                group_name.as_ptr(),
                list.as_ref().map_or(ptr::null(), |list| list.0),
            )
        };
        let mut requests = [request];
        let queue = call.send(|rk, options, queue| unsafe {
            sys::rd_kafka_ListConsumerGroupOffsets(rk, requests.as_mut_ptr(), 1, options, queue)
        });
        // SAFETY: the request was copied when it was sent.
        unsafe { sys::rd_kafka_ListConsumerGroupOffsets_destroy(request) };
        sent.push(queue);
    }
    Ok(sent
        .into_iter()
        .map(|queue| {
            call.wait(&queue).and_then(|event| unsafe {
                let result = sys::rd_kafka_event_ListConsumerGroupOffsets_result(event.0);
                let mut count = 0;
                let groups = sys::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
                group_partitions(groups, count)
            })
        })
        .collect())
}

/// Commits offsets for a group that has no members (AlterConsumerGroupOffsets).
pub fn alter_group_offsets(
    client: &SharedClient,
    group: &str,
    offsets: &[(&str, i32, i64)],
    timeout: Duration,
) -> Result<Vec<PartitionResult>, AdminError> {
    let call = Call::new(client, timeout, false)?;
    let group_name = c_string(group)?;
    let list = PartitionList::new(offsets)?;
    // SAFETY: librdkafka copies the name and the list.
    let request = unsafe { sys::rd_kafka_AlterConsumerGroupOffsets_new(group_name.as_ptr(), list.0) };
    let mut requests = [request];
    let result = call.request(
        |rk, options, queue| unsafe {
            sys::rd_kafka_AlterConsumerGroupOffsets(rk, requests.as_mut_ptr(), 1, options, queue)
        },
        |event| unsafe {
            let result = sys::rd_kafka_event_AlterConsumerGroupOffsets_result(event);
            let mut count = 0;
            group_partitions(sys::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut count), count)
        },
    );
    unsafe { sys::rd_kafka_AlterConsumerGroupOffsets_destroy(request) };
    result
}

/// The partitions of the one group in a group result, or the group's error.
///
/// # Safety
/// `groups` points at `count` valid group results.
unsafe fn group_partitions(
    groups: *mut *const sys::rd_kafka_group_result_t,
    count: usize,
) -> Result<Vec<PartitionResult>, AdminError> {
    let mut all = Vec::new();
    for index in 0..count {
        let group = *groups.add(index);
        let error = sys::rd_kafka_group_result_error(group);
        if !error.is_null() {
            return Err(AdminError::from_error(error));
        }
        all.extend(partitions(sys::rd_kafka_group_result_partitions(group)));
    }
    Ok(all)
}
