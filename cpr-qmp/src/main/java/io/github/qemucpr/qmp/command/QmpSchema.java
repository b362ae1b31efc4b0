package io.github.qemucpr.qmp.command;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The reply to {@link QueryQmpSchema}: QEMU's introspection schema ({@code SchemaInfo} entities),
 * kept as JSON, with helpers for the questions a client asks before relying on a feature.
 *
 * <pre>{@code
 * QmpSchema schema = qmp.execute(new QueryQmpSchema());
 * boolean cpr = schema.enumValuesOfArgument("migrate-set-parameters", "mode")
 *     .orElse(List.of())
 *     .contains("cpr-reboot");
 * }</pre>
 *
 * <p>Type names in the schema are masked (numbers such as {@code "439"}) and change between QEMU
 * builds; the helpers resolve them, so callers only name commands and members.
 *
 * @param entities the schema entities as QEMU sent them: objects with {@code name} and {@code
 *     meta-type} ({@code command}, {@code event}, {@code object}, {@code enum}, {@code array},
 *     {@code alternate}, {@code builtin})
 */
public record QmpSchema(List<JsonNode> entities) {

  /** Copies the list. */
  public QmpSchema {
    entities = List.copyOf(entities);
  }

  /** Whether this QEMU has the command, such as {@code migrate-incoming}. */
  public boolean hasCommand(String command) {
    return findCommand(index(), command).isPresent();
  }

  /**
   * Whether the command takes an argument of this name, such as {@code exit-on-error} of {@code
   * migrate-incoming} (QEMU 9.1+). Members of the variants of a union count.
   */
  public boolean hasArgument(String command, String argumentMember) {
    return !argumentMembers(index(), command, argumentMember).isEmpty();
  }

  /**
   * The values an enum-typed argument accepts: {@code
   * enumValuesOfArgument("migrate-set-parameters", "mode")} gives {@code [normal, cpr-reboot,
   * cpr-transfer]} on QEMU 10.0. An argument that is a list of an enum, or an alternate with enum
   * branches, answers the enum's values. For a union (such as {@code object-add}), a member of the
   * common part wins; a member that only some branches have answers the values of all those
   * branches together.
   *
   * @return empty if the command or the argument does not exist, or the argument is not an enum
   */
  public Optional<List<String>> enumValuesOfArgument(String command, String argumentMember) {
    Map<String, JsonNode> index = index();
    Set<String> values = new LinkedHashSet<>();
    boolean isEnum = false;
    for (JsonNode m : argumentMembers(index, command, argumentMember)) {
      isEnum |= collectEnumValues(index, m.path("type").asString(""), values, new HashSet<>());
    }
    return isEnum ? Optional.of(List.copyOf(values)) : Optional.empty();
  }

  /** Counts instead of printing a megabyte of JSON. */
  @Override
  public String toString() {
    long commands =
        entities.stream().filter(e -> "command".equals(e.path("meta-type").asString(""))).count();
    return "QmpSchema[" + entities.size() + " entities, " + commands + " commands]";
  }

  private Map<String, JsonNode> index() {
    // Every entity has its own name: commands, events and (masked) types share one namespace.
    Map<String, JsonNode> index = new HashMap<>(entities.size() * 2);
    for (JsonNode e : entities) {
      index.putIfAbsent(e.path("name").asString(""), e);
    }
    return index;
  }

  private static Optional<JsonNode> findCommand(Map<String, JsonNode> index, String command) {
    JsonNode e = index.get(command);
    return e != null && "command".equals(e.path("meta-type").asString(""))
        ? Optional.of(e)
        : Optional.empty();
  }

  private static List<JsonNode> argumentMembers(
      Map<String, JsonNode> index, String command, String member) {
    return findCommand(index, command)
        .map(c -> findMembers(index, c.path("arg-type").asString(""), member, new HashSet<>()))
        .orElse(List.of());
  }

  /**
   * The member of an object type: the one of its common part, or else those of its variants (a
   * union's branches), recursively.
   */
  private static List<JsonNode> findMembers(
      Map<String, JsonNode> index, String objectType, String member, Set<String> seen) {
    JsonNode type = index.get(objectType);
    if (type == null
        || !seen.add(objectType)
        || !"object".equals(type.path("meta-type").asString(""))) {
      return List.of();
    }
    for (JsonNode m : type.path("members")) {
      if (member.equals(m.path("name").asString(""))) {
        return List.of(m);
      }
    }
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode v : type.path("variants")) {
      found.addAll(findMembers(index, v.path("type").asString(""), member, seen));
    }
    return found;
  }

  private static boolean collectEnumValues(
      Map<String, JsonNode> index, String typeName, Set<String> values, Set<String> seen) {
    JsonNode type = index.get(typeName);
    if (type == null || !seen.add(typeName)) {
      return false;
    }
    switch (type.path("meta-type").asString("")) {
      case "enum":
        // "values" is deprecated in favour of "members" since QEMU 6.2; read both.
        List<String> names = new ArrayList<>();
        type.path("members").forEach(m -> names.add(m.path("name").asString("")));
        if (names.isEmpty()) {
          type.path("values").forEach(v -> names.add(v.asString("")));
        }
        values.addAll(names);
        return true;
      case "array":
        return collectEnumValues(index, type.path("element-type").asString(""), values, seen);
      case "alternate":
        boolean any = false;
        for (JsonNode m : type.path("members")) {
          any |= collectEnumValues(index, m.path("type").asString(""), values, seen);
        }
        return any;
      default:
        return false;
    }
  }
}
