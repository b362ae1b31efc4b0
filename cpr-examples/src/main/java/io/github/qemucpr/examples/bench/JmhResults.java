package io.github.qemucpr.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads the JSON results of JMH ({@code -rf json}) for the allocation table. */
final class JmhResults {
  /** One benchmark: its throughput and its allocation per operation. */
  record Row(String name, double opsPerSecond, double opsError, double bytesPerOp) {}

  private JmhResults() {}

  static List<Row> read(Path json) throws IOException {
    JsonNode root = JsonMapper.builder().build().readTree(Files.readString(json));
    List<Row> rows = new ArrayList<>();
    for (JsonNode b : root) {
      String name = b.path("benchmark").asString();
      name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      JsonNode primary = b.path("primaryMetric");
      double bytes = Double.NaN;
      for (Map.Entry<String, JsonNode> m : b.path("secondaryMetrics").properties()) {
        if (m.getKey().endsWith("gc.alloc.rate.norm")) {
          bytes = m.getValue().path("score").asDouble();
        }
      }
      double error = primary.path("scoreError").asDouble(Double.NaN);
      rows.add(new Row(name, primary.path("score").asDouble(), error, bytes));
    }
    return rows;
  }
}
