package io.github.qemucpr.qmp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.internal.qapi.QapiIndex;
import io.github.qemucpr.qmp.qapi.QapiBoxed;
import io.github.qemucpr.qmp.qapi.QapiBranch;
import io.github.qemucpr.qmp.qapi.QapiDiscriminator;
import io.github.qemucpr.qmp.qapi.QapiEnum;
import io.github.qemucpr.qmp.qapi.QapiIf;
import io.github.qemucpr.qmp.qapi.QapiMember;
import io.github.qemucpr.qmp.qapi.QemuVersions;
import io.github.qemucpr.qmp.testing.QemuProcess;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every generated command and event checked against the running QEMU's own description of its
 * schema ({@code query-qmp-schema}), as libvirt checks each command it sends: names, argument and
 * member names, their types down to the leaves, which are optional, enum values and union branches,
 * and what this QEMU version lacks. Introspection hides type names behind numbers, so types are
 * compared by structure. Run once per QEMU of the matrix (scripts/test.sh).
 */
class QapiSchemaIT {

  private static QemuProcess qemu;
  private static QmpClient qmp;
  private static String version;
  private static Map<String, JsonNode> schema;

  @BeforeAll
  static void readTheSchema() {
    qemu = QemuProcess.builder().name("qapi-schema-it").start();
    qmp = qemu.connect();
    QemuVersion v = qmp.greeting().version();
    version = v.major() + "." + v.minor();
    schema = new HashMap<>();
    for (JsonNode e : qmp.execute("query-qmp-schema", null)) {
      schema.put(e.path("name").asString(), e);
    }
  }

  @AfterAll
  static void stop() {
    if (qmp != null) {
      qmp.close();
    }
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void theRunningQemuIsOneTheSurfaceIsGeneratedFrom() {
    assertThat(QapiIndex.VERSIONS)
        .as(
            "QEMU %s is not in the generated surface: add its schema (scripts/fetch-qapi-schema.sh,"
                + " scripts/generate-qmp.sh --fetch)",
            version)
        .contains(version);
  }

  @Test
  void everyCommandMatchesTheSchema() throws Exception {
    Checker check = new Checker();
    Set<String> qemuCommands = names("command");
    Set<String> typedHere = new TreeSet<>();
    for (Map.Entry<String, String> c : QapiIndex.commandClasses().entrySet()) {
      Class<?> type = Class.forName(c.getValue());
      JsonNode entity = schema.get(c.getKey());
      if (!check.presence(c.getKey(), type, entity)) {
        continue;
      }
      typedHere.add(c.getKey());
      String path = c.getKey();
      check.object(
          type, schema.get(entity.path("arg-type").asString()), path + " arguments", Set.of());
      Type reply = replyType(type);
      JsonNode ret = schema.get(entity.path("ret-type").asString());
      if (reply == Void.class) {
        if (!ret.path("members").isEmpty()) {
          check.problems.add(path + ": typed without a reply, QEMU replies " + ret);
        }
      } else {
        check.type(reply, ret, path + " reply");
      }
    }
    Set<String> untyped = new TreeSet<>(qemuCommands);
    untyped.removeAll(typedHere);
    assertThat(untyped).as("commands of QEMU %s the surface lacks", version).isEmpty();
    assertThat(check.problems)
        .as("QEMU %s: %d commands checked", version, typedHere.size())
        .isEmpty();
    System.out.printf(
        "QEMU %s: %d of %d commands typed and checked%n",
        version, typedHere.size(), qemuCommands.size());
  }

  @Test
  void everyEventMatchesTheSchema() throws Exception {
    Checker check = new Checker();
    Set<String> qemuEvents = names("event");
    Set<String> typedHere = new TreeSet<>();
    for (Map.Entry<String, String> e : QapiIndex.eventClasses().entrySet()) {
      Class<?> type = Class.forName(e.getValue());
      JsonNode entity = schema.get(e.getKey());
      if (!check.presence(e.getKey(), type, entity)) {
        continue;
      }
      typedHere.add(e.getKey());
      check.object(type, schema.get(entity.path("arg-type").asString()), e.getKey(), Set.of());
    }
    Set<String> untyped = new TreeSet<>(qemuEvents);
    untyped.removeAll(typedHere);
    assertThat(untyped).as("events of QEMU %s the surface lacks", version).isEmpty();
    assertThat(check.problems)
        .as("QEMU %s: %d events checked", version, typedHere.size())
        .isEmpty();
    System.out.printf(
        "QEMU %s: %d of %d events typed and checked%n",
        version, typedHere.size(), qemuEvents.size());
  }

  private static Set<String> names(String metaType) {
    Set<String> out = new TreeSet<>();
    schema
        .values()
        .forEach(
            e -> {
              if (e.path("meta-type").asString().equals(metaType)) {
                out.add(e.path("name").asString());
              }
            });
    return out;
  }

  private static Type replyType(Class<?> command) throws Exception {
    // The reply type is a constant of each generated command.
    Field f = command.getDeclaredField("REPLY");
    f.setAccessible(true);
    return (Type) f.get(null);
  }

  /** Structural comparison of the generated types with introspection; collects every problem. */
  private static final class Checker {
    final List<String> problems = new ArrayList<>();

    /** Pairs checked already. */
    private final Set<String> seen = new HashSet<>();

    /** Pairs being checked further up: assumed to match (the schema is recursive). */
    private final Set<String> stack;

    Checker() {
      this(new HashSet<>());
    }

    private Checker(Set<String> stack) {
      this.stack = stack;
    }

    /** Whether to check further: present, and meant to be; a problem if present and not meant. */
    boolean presence(String name, Class<?> type, JsonNode entity) {
      boolean meant = inThisVersion(type.getAnnotation(QemuVersions.class));
      boolean conditional = type.getAnnotation(QapiIf.class) != null;
      if (entity == null) {
        if (meant && !conditional) {
          problems.add(name + ": typed for QEMU " + version + ", but this QEMU does not have it");
        }
        return false;
      }
      if (!meant) {
        problems.add(
            name
                + ": this QEMU has it, the surface says only "
                + Arrays.toString(type.getAnnotation(QemuVersions.class).value()));
      }
      return true;
    }

    void type(Type java, JsonNode entity, String path) {
      if (entity == null) {
        problems.add(path + ": no such type in the schema");
        return;
      }
      String meta = entity.path("meta-type").asString();
      if (!meta.equals("alternate")
          && java instanceof Class<?> c
          && c.isInterface()
          && c.getAnnotation(QapiDiscriminator.class) == null) {
        // The surface widened a member to an alternate (another version has it so): one
        // alternative must be what this QEMU has.
        for (Class<?> v : c.getPermittedSubclasses()) {
          RecordComponent[] rc = v.getRecordComponents();
          if (rc.length == 1) {
            Checker trial = new Checker(stack);
            trial.type(rc[0].getGenericType(), entity, path);
            if (trial.problems.isEmpty()) {
              return;
            }
          }
        }
        problems.add(path + ": no alternative of " + c.getSimpleName() + " is QEMU's " + meta);
        return;
      }
      if (meta.equals("builtin")) {
        builtin(java, entity.path("json-type").asString(), path);
        return;
      }
      if (meta.equals("array")) {
        if (!(java instanceof ParameterizedType p && p.getRawType() == List.class)) {
          problems.add(path + ": QEMU has an array, the surface " + java.getTypeName());
          return;
        }
        type(
            p.getActualTypeArguments()[0],
            schema.get(entity.path("element-type").asString()),
            path + "[]");
        return;
      }
      if (!(java instanceof Class<?> c)) {
        problems.add(path + ": QEMU has a " + meta + ", the surface " + java.getTypeName());
        return;
      }

      String key = c.getName() + "|" + entity.path("name").asString();
      if (seen.contains(key) || !stack.add(key)) {
        return;
      }
      try {
        typed(c, meta, entity, path);
      } finally {
        stack.remove(key);
        seen.add(key);
      }
    }

    private void typed(Class<?> c, String meta, JsonNode entity, String path) {
      switch (meta) {
        case "enum":
          enumeration(c, entity, path);
          break;
        case "object":
          if (c.getAnnotation(QapiDiscriminator.class) != null) {
            union(c, entity, path);
          } else if (c.isRecord()) {
            if (entity.has("tag")) {
              problems.add(
                  path
                      + ": QEMU has a union (tag "
                      + entity.path("tag").asString()
                      + "), the surface a struct "
                      + c.getSimpleName());
            }
            object(c, entity, path, Set.of());
          } else {
            problems.add(path + ": QEMU has an object, the surface " + c.getName());
          }
          break;
        case "alternate":
          alternate(c, entity, path);
          break;
        default:
          problems.add(path + ": unknown meta-type " + meta);
      }
    }

    private void builtin(Type java, String jsonType, String path) {
      boolean ok;
      switch (jsonType) {
        case "string":
          ok = java == String.class;
          break;
        case "int":
          ok = java == long.class || java == Long.class;
          break;
        case "number":
          ok = java == double.class || java == Double.class;
          break;
        case "boolean":
          ok = java == boolean.class || java == Boolean.class;
          break;
        case "value":
          ok = java == Object.class;
          break;
        default:
          ok = false;
      }
      if (!ok) {
        problems.add(path + ": QEMU has " + jsonType + ", the surface " + java.getTypeName());
      }
    }

    private void enumeration(Class<?> c, JsonNode entity, String path) {
      if (!QapiEnum.class.isAssignableFrom(c)) {
        problems.add(path + ": QEMU has an enum, the surface " + c.getName());
        return;
      }
      Set<String> qemuValues = new TreeSet<>();
      entity.path("values").forEach(v -> qemuValues.add(v.asString()));
      Set<String> ours = new TreeSet<>();
      for (Field f : c.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers()) || f.getType() != c) {
          continue;
        }
        try {
          String wire = ((QapiEnum) f.get(null)).wireName();
          ours.add(wire);
          if (!qemuValues.contains(wire)
              && inThisVersion(f.getAnnotation(QemuVersions.class))
              && f.getAnnotation(QapiIf.class) == null) {
            problems.add(
                path + ": " + c.getSimpleName() + " value '" + wire + "' is not in this QEMU");
          } else if (qemuValues.contains(wire)
              && !inThisVersion(f.getAnnotation(QemuVersions.class))) {
            problems.add(
                path
                    + ": "
                    + c.getSimpleName()
                    + " value '"
                    + wire
                    + "' is in this QEMU, the surface says only "
                    + Arrays.toString(f.getAnnotation(QemuVersions.class).value()));
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
      Set<String> missing = new TreeSet<>(qemuValues);
      missing.removeAll(ours);
      if (!missing.isEmpty()) {
        problems.add(path + ": " + c.getSimpleName() + " lacks the values " + missing);
      }
    }

    /** A record against an object type's members (plus those of a variant, if given). */
    void object(Class<?> c, JsonNode entity, String path, Set<String> skip) {
      List<RecordComponent> members0 =
          Arrays.stream(c.getRecordComponents())
              .filter(
                  r ->
                      r.getAnnotation(QapiMember.class) != null
                          || r.getAnnotation(QapiBoxed.class) != null)
              .toList();
      if (members0.size() == 1 && members0.get(0).getAnnotation(QapiBoxed.class) != null) {
        // Arguments or data given as one union: compare that union with the whole object.
        type(members0.get(0).getGenericType(), entity, path);
        return;
      }
      Map<String, JsonNode> members = new LinkedHashMap<>();
      entity.path("members").forEach(m -> members.put(m.path("name").asString(), m));
      for (String s : skip) {
        members.remove(s);
      }
      recordAgainst(c, members, path);
    }

    private void recordAgainst(Class<?> c, Map<String, JsonNode> members, String path) {
      Set<String> matched = new HashSet<>();
      for (RecordComponent rc : c.getRecordComponents()) {
        if (rc.getAnnotation(QapiBoxed.class) != null && rc.getType() == Map.class) {
          // Arguments beyond the schema's (device_add): QEMU's schema cannot list them.
          continue;
        }
        if (rc.getAnnotation(QapiBoxed.class) != null) {
          // Its members are these members: compare the boxed type with what is left.
          JsonNode synthetic = synthetic(members);
          type(rc.getGenericType(), synthetic, path);
          matched.addAll(members.keySet());
          continue;
        }
        QapiMember m = rc.getAnnotation(QapiMember.class);
        if (m == null) {
          if (!rc.getName().equals("unknownMembers") && rc.getType() != Instant.class) {
            problems.add(path + ": component " + rc.getName() + " is not a member");
          }
          continue;
        }
        JsonNode q = members.get(m.value());
        boolean meant = inThisVersion(rc.getAnnotation(QemuVersions.class));
        if (q == null) {
          if (meant && rc.getAnnotation(QapiIf.class) == null && !m.optional()) {
            problems.add(path + ": member '" + m.value() + "' is not in this QEMU");
          } else if (meant && rc.getAnnotation(QapiIf.class) == null) {
            problems.add(path + ": optional member '" + m.value() + "' is not in this QEMU");
          }
          continue;
        }
        matched.add(m.value());
        if (!meant) {
          problems.add(
              path
                  + ": member '"
                  + m.value()
                  + "' is in this QEMU, the surface says only "
                  + Arrays.toString(rc.getAnnotation(QemuVersions.class).value()));
        }
        boolean qemuOptional = q.has("default");
        if (qemuOptional && !m.optional()) {
          problems.add(
              path
                  + ": member '"
                  + m.value()
                  + "' is optional in this QEMU, required in the surface");
        }
        type(rc.getGenericType(), schema.get(q.path("type").asString()), path + "." + m.value());
      }
      Set<String> extra = new TreeSet<>(members.keySet());
      extra.removeAll(matched);
      if (!extra.isEmpty()) {
        problems.add(path + ": this QEMU has members the surface lacks: " + extra);
      }
    }

    private static JsonNode synthetic(Map<String, JsonNode> members) {
      tools.jackson.databind.node.ObjectNode o =
          tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      o.put("meta-type", "object");
      o.put("name", "(members)" + members.keySet());
      tools.jackson.databind.node.ArrayNode a = o.putArray("members");
      members.values().forEach(a::add);
      return o;
    }

    private void union(Class<?> c, JsonNode entity, String path) {
      String disc = c.getAnnotation(QapiDiscriminator.class).value();
      if (!entity.has("tag")) {
        problems.add(
            path + ": the surface has a union " + c.getSimpleName() + ", QEMU a plain object");
        return;
      }
      if (!entity.path("tag").asString().equals(disc)) {
        problems.add(
            path + ": discriminator " + disc + ", QEMU's tag " + entity.path("tag").asString());
      }
      Map<String, Class<?>> variants = new HashMap<>();
      Class<?> other = null;
      for (Class<?> v : c.getPermittedSubclasses()) {
        QapiBranch b = v.getAnnotation(QapiBranch.class);
        if (b == null) {
          other = v;
        } else {
          variants.put(b.value(), v);
        }
      }
      // The base, discriminator included, against the Other variant.
      object(other, entity, path + "(" + disc + "=other)", Set.of());
      Set<String> cases = new TreeSet<>();
      for (JsonNode v : entity.path("variants")) {
        String value = v.path("case").asString();
        cases.add(value);
        JsonNode branchType = schema.get(v.path("type").asString());
        Class<?> ours = variants.get(value);
        String vp = path + "(" + disc + "=" + value + ")";
        if (ours == null) {
          if (!branchType.path("members").isEmpty() || branchType.has("tag")) {
            problems.add(vp + ": this QEMU has the branch, the surface lacks it");
          }
          continue;
        }
        if (!inThisVersion(ours.getAnnotation(QemuVersions.class))) {
          problems.add(
              vp
                  + ": in this QEMU, the surface says only "
                  + Arrays.toString(ours.getAnnotation(QemuVersions.class).value()));
        }
        Map<String, JsonNode> all = new LinkedHashMap<>();
        entity.path("members").forEach(m -> all.put(m.path("name").asString(), m));
        all.remove(disc);
        RecordComponent boxed =
            Arrays.stream(ours.getRecordComponents())
                .filter(r -> r.getAnnotation(QapiBoxed.class) != null)
                .findFirst()
                .orElse(null);
        if (boxed != null) {
          // A union as a branch: the base here, the branch's own shape there.
          type(boxed.getGenericType(), branchType, vp);
          Map<String, JsonNode> base = new LinkedHashMap<>(all);
          recordAgainstExcept(ours, base, vp, boxed.getName());
          continue;
        }
        branchType.path("members").forEach(m -> all.put(m.path("name").asString(), m));
        recordAgainst(ours, all, vp);
      }
      for (Map.Entry<String, Class<?>> v : variants.entrySet()) {
        if (!cases.contains(v.getKey())
            && inThisVersion(v.getValue().getAnnotation(QemuVersions.class))
            && v.getValue().getAnnotation(QapiIf.class) == null) {
          problems.add(path + ": branch " + v.getKey() + " is not in this QEMU");
        }
      }
    }

    private void recordAgainstExcept(
        Class<?> c, Map<String, JsonNode> members, String path, String boxedName) {
      for (RecordComponent rc : c.getRecordComponents()) {
        if (rc.getName().equals(boxedName)) {
          continue;
        }
        QapiMember m = rc.getAnnotation(QapiMember.class);
        if (m != null
            && !members.containsKey(m.value())
            && inThisVersion(rc.getAnnotation(QemuVersions.class))) {
          problems.add(path + ": member '" + m.value() + "' is not in this QEMU");
        }
      }
    }

    private void alternate(Class<?> c, JsonNode entity, String path) {
      if (!c.isInterface() || c.getAnnotation(QapiDiscriminator.class) != null) {
        problems.add(path + ": QEMU has an alternate, the surface " + c.getName());
        return;
      }
      List<Class<?>> ours = new ArrayList<>(List.of(c.getPermittedSubclasses()));
      for (JsonNode alt : entity.path("members")) {
        JsonNode t = schema.get(alt.path("type").asString());
        Class<?> match = null;
        for (Class<?> v : ours) {
          RecordComponent[] rc = v.getRecordComponents();
          Checker trial = new Checker(stack);
          if (rc.length == 0) {
            if (t.path("json-type").asString().equals("null")) {
              match = v;
              break;
            }
            continue;
          }
          trial.type(rc[0].getGenericType(), t, path);
          if (trial.problems.isEmpty()) {
            match = v;
            break;
          }
        }
        if (match == null) {
          problems.add(
              path
                  + ": no alternative of "
                  + c.getSimpleName()
                  + " fits QEMU's "
                  + t.path("meta-type").asString()
                  + " "
                  + t.path("json-type").asString(""));
        } else {
          ours.remove(match);
        }
      }
    }
  }

  private static boolean inThisVersion(QemuVersions versions) {
    return versions == null || Arrays.asList(versions.value()).contains(version);
  }
}
