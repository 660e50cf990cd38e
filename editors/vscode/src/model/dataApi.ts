// The sidecar's data-plane methods (topics, groups, lag, records, schemas) as typed calls over any JSON-RPC `request`
// function, like SidecarApi: the extension, the viewer and the protocol test share them. No `vscode` import.
import type {
  ConsumePage,
  ConsumeParams,
  CreateTopicParams,
  CreateTopicResult,
  GroupsListResult,
  GroupSummary,
  LagWatchResult,
  ProduceResult,
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

  async listTopics(connectionId: string): Promise<TopicSummary[]> {
    return (await this.call<TopicsListResult>(Methods.listTopics, { connection_id: connectionId })).data;
  }

  describeTopic(connectionId: string, topic: string): Promise<TopicDescription> {
    return this.call(Methods.describeTopic, { connection_id: connectionId, topic });
  }

  createTopic(params: CreateTopicParams): Promise<CreateTopicResult> {
    return this.call(Methods.createTopic, params);
  }

  async deleteTopic(connectionId: string, topic: string): Promise<void> {
    await this.call<null>(Methods.deleteTopic, { connection_id: connectionId, topic });
  }

  async listGroups(connectionId: string): Promise<GroupSummary[]> {
    return (await this.call<GroupsListResult>(Methods.listGroups, { connection_id: connectionId })).data;
  }

  async watchLag(connectionId: string, groupIds: string[], intervalMs?: number): Promise<string> {
    const params = { connection_id: connectionId, group_ids: groupIds, interval_ms: intervalMs };
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

  async listSubjects(connectionId: string): Promise<string[]> {
    return (await this.call<SubjectsListResult>(Methods.listSubjects, { connection_id: connectionId })).data;
  }

  async listVersions(connectionId: string, subject: string): Promise<number[]> {
    return (await this.call<VersionsListResult>(Methods.listSchemaVersions, { connection_id: connectionId, subject })).data;
  }

  getSchema(connectionId: string, subject: string, version: number): Promise<SchemaResult> {
    return this.call(Methods.getSchema, { connection_id: connectionId, subject, version });
  }
}
