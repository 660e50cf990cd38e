// The messages between the message viewer's webview and the extension, typed once for both sides.
import type { Record as KafkaRecord } from "../protocol";
import type { StartChoice } from "./records";

export type ToWebview =
  | { type: "init"; topic: string; partitions: number[]; start?: StartChoice; selected?: number[]; maxRecords: number }
  | { type: "reset" }
  | { type: "records"; records: KafkaRecord[]; atEnd?: boolean; scanned: number; source: "page" | "tail" }
  | { type: "status"; text: string; error?: boolean }
  | { type: "loading"; on: boolean }
  | { type: "tail"; on: boolean };

export type FromWebview =
  | { type: "ready" }
  | { type: "query"; start: StartChoice; partitions: number[]; contains: string }
  | { type: "more" }
  | { type: "tail"; on: boolean }
  | { type: "copy"; text: string }
  | { type: "export"; text: string; count: number };
