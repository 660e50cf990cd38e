// The sidecar's data-plane methods (topics, groups, lag, records, schemas) as typed calls over any JSON-RPC `request`
// function, like SidecarApi: the extension, the viewer and the protocol test share them. No `vscode` import.
import type {
  CheckCompatibilityParams,
  CheckCompatibilityResult,
  CloudResourcesResult,
  Compatibility,
  ConfigResult,
  ConsumePage,
  ConsumeParams,
  CreateTopicParams,
  CreateTopicResult,
  GroupsListResult,
  GroupSummary,
  LagWatchResult,
  ProduceResult,
  RegisterSchemaParams,
  RegisterSchemaResult,
  SchemaDeleteResult,
  SchemaResult,
  SubjectsListResult,
  TailParams,
  TailResult,
  TopicDescription,
  TopicsListResult,
  TopicSummary,
  VersionsListResult,
} from "../protocol";
import type { ProduceRequest } from "./produce";
import { Methods } from "./protocolExtras";
import type { RequestFn } from "./sidecarApi";

export class DataApi {
  constructor(private readonly request: RequestFn) {}

  private async call<R>(method: string, params: object): Promise<R> {
    return (await this.request(method, params)) as R;
  }

  async listTopics(connectionId: string, clusterId?: string): Promise<TopicSummary[]> {
    return (await this.call<TopicsListResult>(Methods.listTopics, { connection_id: connectionId, cluster_id: clusterId })).data;
  }

  describeTopic(connectionId: string, topic: string, clusterId?: string): Promise<TopicDescription> {
    return this.call(Methods.describeTopic, { connection_id: connectionId, cluster_id: clusterId, topic });
  }

  createTopic(params: CreateTopicParams): Promise<CreateTopicResult> {
    return this.call(Methods.createTopic, params);
  }

  async deleteTopic(connectionId: string, topic: string, clusterId?: string): Promise<void> {
    await this.call<null>(Methods.deleteTopic, { connection_id: connectionId, cluster_id: clusterId, topic });
  }

  async listGroups(connectionId: string, clusterId?: string): Promise<GroupSummary[]> {
    return (await this.call<GroupsListResult>(Methods.listGroups, { connection_id: connectionId, cluster_id: clusterId })).data;
  }

  async watchLag(connectionId: string, groupIds: string[], intervalMs?: number, clusterId?: string): Promise<string> {
    const params = { connection_id: connectionId, cluster_id: clusterId, group_ids: groupIds, interval_ms: intervalMs };
    return (await this.call<LagWatchResult>(Methods.watchLag, params)).watch_id;
  }

  async unwatchLag(watchId: string): Promise<void> {
    await this.call<null>(Methods.unwatchLag, { watch_id: watchId });
  }

  consume(params: ConsumeParams): Promise<ConsumePage> {
    return this.call(Methods.consumeRecords, params);
  }

  async tail(params: TailParams): Promise<string> {
    return (await this.call<TailResult>(Methods.tailRecords, params)).subscription_id;
  }

  async untail(subscriptionId: string): Promise<void> {
    await this.call<null>(Methods.untailRecords, { subscription_id: subscriptionId });
  }

  produce(params: ProduceRequest): Promise<ProduceResult> {
    return this.call(Methods.produceRecords, params);
  }

  async listSubjects(connectionId: string, clusterId?: string): Promise<string[]> {
    return (await this.call<SubjectsListResult>(Methods.listSubjects, { connection_id: connectionId, cluster_id: clusterId })).data;
  }

  async listVersions(connectionId: string, subject: string, clusterId?: string): Promise<number[]> {
    return (await this.call<VersionsListResult>(Methods.listSchemaVersions, { connection_id: connectionId, cluster_id: clusterId, subject })).data;
  }

  getSchema(connectionId: string, subject: string, version: number, clusterId?: string): Promise<SchemaResult> {
    return this.call(Methods.getSchema, { connection_id: connectionId, cluster_id: clusterId, subject, version });
  }

  registerSchema(params: RegisterSchemaParams): Promise<RegisterSchemaResult> {
    return this.call(Methods.registerSchema, params);
  }

  checkCompatibility(params: CheckCompatibilityParams): Promise<CheckCompatibilityResult> {
    return this.call(Methods.checkSchemaCompatibility, params);
  }

  /** The subject's level (its own, else the global one), or the global level without a subject. */
  getCompatibility(connectionId: string, subject?: string, clusterId?: string): Promise<ConfigResult> {
    return this.call(Methods.getSchemaConfig, { connection_id: connectionId, cluster_id: clusterId, subject });
  }

  setCompatibility(connectionId: string, compatibility: Compatibility, subject?: string, clusterId?: string): Promise<ConfigResult> {
    return this.call(Methods.setSchemaConfig, { connection_id: connectionId, cluster_id: clusterId, subject, compatibility });
  }

  /** Deletes a version, or the whole subject without one; `permanent` only after a soft delete. */
  deleteSchema(connectionId: string, subject: string, version: number | undefined, permanent: boolean, clusterId?: string): Promise<SchemaDeleteResult> {
    return this.call(Methods.deleteSchema, { connection_id: connectionId, cluster_id: clusterId, subject, version, permanent });
  }

  /** The environments, Kafka clusters and Schema Registries a signed-in CCLOUD connection reaches. */
  cloudResources(connectionId: string, refresh = false): Promise<CloudResourcesResult> {
    return this.call(Methods.listCloudResources, { connection_id: connectionId, refresh });
  }
}
