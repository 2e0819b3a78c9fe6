// The Kafka Streams peer of bench/run.sh's Kafka step: the same work as one `serve --kafka`
// instance does per inbound event, written as a Kafka Streams application would be — decode the
// CloudEvent, look up and update keyed state (the CloudEvent id for idempotency, the complaint
// for its version and status), produce the decided event or a dead letter — with
// processing.guarantee=exactly_once_v2 and persistent (RocksDB, changelogged) stores.
//
//   java -cp '.cache/kafka-streams/lib/*:.cache/kafka-streams/classes' StreamsPeer \
//        BROKERS INBOUND_TOPIC OUTPUT_PREFIX STATE_DIR
//
// It is a yardstick, not a second implementation: it checks only what a state machine must
// check to be comparable (an unknown complaint, a second filing, a replayed id) and runs until
// killed.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

public final class StreamsPeer {
  static final String COMPLAINTS = "complaints";
  static final String SEEN = "seen";

  static final class Decide implements Processor<String, String, String, String> {
    private final ObjectMapper json = new ObjectMapper();
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, String> complaints;
    private KeyValueStore<String, String> seen;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      this.complaints = context.getStateStore(COMPLAINTS);
      this.seen = context.getStateStore(SEEN);
    }

    @Override
    public void process(Record<String, String> record) {
      final JsonNode event;
      try {
        event = json.readTree(record.value());
      } catch (Exception e) {
        dead(record, "malformed JSON");
        return;
      }
      final String id = event.path("id").asText("");
      final String type = event.path("type").asText("");
      final String complaint = event.path("data").path("complaint_id").asText("");
      if (id.isEmpty() || type.isEmpty()) {
        dead(record, "missing id or type");
        return;
      }
      if (seen.get(id) != null) return;  // a redelivery: decided before, nothing to produce
      seen.put(id, "");
      if (complaint.isEmpty()) {  // compliments, activity, surveys: recorded as they come
        context.forward(record.withValue(record.value()), "events");
        return;
      }
      final String state = complaints.get(complaint);
      long version = 0;
      if (state != null) version = Long.parseLong(state.substring(0, state.indexOf('|')));
      if (type.equals("complaint.filed") ? state != null : state == null) {
        dead(record, state == null ? "unknown complaint" : "already filed");
        return;
      }
      version += 1;
      complaints.put(complaint, version + "|" + type + "|" + event.path("time").asText(""));
      final ObjectNode decided = json.createObjectNode();
      decided.put("stream", "complaint-" + complaint);
      decided.put("version", version);
      decided.set("event", event);
      context.forward(record.withValue(decided.toString()), "events");
    }

    private void dead(Record<String, String> record, String reason) {
      context.forward(record.withValue("{\"reason\":\"" + reason + "\",\"record\":"
          + json.valueToTree(record.value()).toString() + "}"), "dead");
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: StreamsPeer BROKERS INBOUND_TOPIC OUTPUT_PREFIX STATE_DIR");
      System.exit(2);
    }
    final String brokers = args[0], inbound = args[1], prefix = args[2], stateDir = args[3];
    final String events = prefix + ".events", dead = prefix + ".dead";
    final Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    try (Admin a = Admin.create(admin)) {
      final int partitions = a.describeTopics(List.of(inbound)).allTopicNames().get()
          .get(inbound).partitions().size();
      for (String t : List.of(events, dead)) {
        try {
          a.createTopics(List.of(new NewTopic(t, partitions, (short) 1))).all().get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
      }
    }

    final Topology topology = new Topology();
    topology.addSource("inbound", Serdes.String().deserializer(), Serdes.String().deserializer(),
        inbound);
    topology.addProcessor("decide", Decide::new, "inbound");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(COMPLAINTS),
        Serdes.String(), Serdes.String()), "decide");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SEEN),
        Serdes.String(), Serdes.String()), "decide");
    topology.addSink("events", events, Serdes.String().serializer(), Serdes.String().serializer(),
        "decide");
    topology.addSink("dead", dead, Serdes.String().serializer(), Serdes.String().serializer(),
        "decide");

    final Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    final KafkaStreams streams = new KafkaStreams(topology, p);
    final CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
          .StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
    });
    streams.start();
    stopped.await();
  }
}
