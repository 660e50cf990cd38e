// kafkajs (the client vscode-kafka runs in-process) reading COUNT records of TOPIC from the beginning,
// a peer of the harness's scan row: node consume.js BOOTSTRAP TOPIC COUNT
// Prints {"records", "bytes", "timed", "seconds"}: `timed` records (those after the first batch) in
// `seconds` (from the end of the first batch to the last record), so the group join kafkajs needs
// before its first fetch (it has no consumer without a group) is not counted.
// maxWaitTimeInMs is 10, as the sidecar's readers use: tansu holds a fetch for the whole wait when it
// has little to send.
const { Kafka, logLevel } = require("kafkajs");

async function main() {
  const [bootstrap, topic, countText] = process.argv.slice(2);
  const count = Number(countText);
  const kafka = new Kafka({ clientId: "bench-kafkajs", brokers: [bootstrap], logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${process.pid}`, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let read = 0;
  let bytes = 0;
  let first = null;
  let firstCount = 0;
  const done = new Promise((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          bytes += message.value ? message.value.length : 0;
          read += 1;
        }
        if (first === null) {
          first = process.hrtime.bigint();
          firstCount = read;
        }
        if (read >= count) resolve(process.hrtime.bigint());
      },
    });
  });
  const last = await done;
  const seconds = Number(last - first) / 1e9;
  process.stdout.write(JSON.stringify({ records: read, bytes, timed: read - firstCount, seconds }) + "\n");
  await consumer.disconnect();
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
