package io.github.qemucpr.qmp;

import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import tools.jackson.databind.JsonNode;

/**
 * The commands each connected QEMU has, asked once per connection ({@code query-commands}) and kept
 * for as long as the client is reachable.
 */
final class CommandSupport {
  private CommandSupport() {}

  private static final Map<QmpClient, Set<String>> COMMANDS =
      Collections.synchronizedMap(new WeakHashMap<>());

  static Set<String> commands(QmpClient qmp) {
    Set<String> known = COMMANDS.get(qmp);
    if (known == null) {
      // Two first callers may both ask; the answers are the same.
      known = fetch(qmp);
      COMMANDS.putIfAbsent(qmp, known);
    }
    return known;
  }

  private static Set<String> fetch(QmpClient qmp) {
    Set<String> names = new HashSet<>();
    for (JsonNode c : qmp.execute("query-commands", null)) {
      names.add(c.path("name").asString(""));
    }
    return Set.copyOf(names);
  }
}
