package io.github.qemucpr.qapigen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema of one QEMU version, stripped to names and structure: every definition with its
 * members, types, optionality, conditions, features and the version it appeared in. No
 * documentation text: QEMU's doc comments are GPL, and only the {@code since} facts are read from
 * them. This is what {@code schema/qemu-VERSION.json} holds, one definition per line.
 */
record Schema(String version, String source, List<Def> defs) {

  /** A definition: struct, union, alternate, enum, command or event. */
  record Def(
      String kind,
      String name,
      String module,
      String since,
      Object ifCond,
      List<String> features,
      String base,
      List<Member> members,
      String data,
      boolean boxed,
      String discriminator,
      List<Branch> branches,
      List<Member> alternatives,
      List<Value> values,
      Object returns,
      boolean anyArguments) {}

  /**
   * A member of a struct, union base, command or event ({@code type} is a name or a one-element
   * list).
   */
  record Member(
      String name,
      Object type,
      boolean optional,
      String since,
      Object ifCond,
      List<String> features) {}

  /** A branch of a union: the discriminator value and the struct its members come from. */
  record Branch(String value, String type, Object ifCond) {}

  /** An enum value. */
  record Value(String name, String since, Object ifCond, List<String> features) {}

  Map<String, Def> byName() {
    Map<String, Def> map = new LinkedHashMap<>();
    for (Def d : defs) {
      map.put(d.name(), d);
    }
    return map;
  }

  // ---------------------------------------------------------------- reading QEMU's qapi/ directory

  /** Reads {@code qapi-schema.json} and what it includes. */
  static Schema readQapi(Path qapiDir, String version) throws IOException {
    List<Def> defs = new ArrayList<>();
    readFile(qapiDir.resolve("qapi-schema.json"), defs, new HashSet<>());
    return new Schema(version, "qapi", defs);
  }

  private static void readFile(Path file, List<Def> defs, Set<Path> seen) throws IOException {
    Path real = file.toRealPath();
    if (!seen.add(real)) {
      return;
    }
    String module = file.getFileName().toString().replaceFirst("\\.json$", "");
    String text = Files.readString(file, StandardCharsets.UTF_8);
    for (QapiSyntax.Expression e : QapiSyntax.expressions(text, file.toString())) {
      Map<String, Object> x = e.value();
      if (x.containsKey("include")) {
        readFile(file.resolveSibling((String) x.get("include")), defs, seen);
      } else if (x.containsKey("pragma")) {
        continue;
      } else {
        defs.add(definition(x, module, e.doc(), file + ":" + e.line()));
      }
    }
  }

  private static final List<String> KINDS =
      List.of("struct", "union", "alternate", "enum", "command", "event");
  private static final Pattern SINCE =
      Pattern.compile("(?i)\\bsince:?\\s+(\\d+\\.\\d+(?:\\.\\d+)?)");
  private static final Pattern TOP_SINCE = Pattern.compile("^Since:?\\s+(\\d+\\.\\d+(?:\\.\\d+)?)");
  private static final Pattern MEMBER_DOC = Pattern.compile("^@([A-Za-z0-9_.-]+):(.*)$");

  private static Def definition(
      Map<String, Object> x, String module, List<String> doc, String where) {
    String kind = null;
    for (String k : KINDS) {
      if (x.containsKey(k)) {
        kind = k;
      }
    }
    if (kind == null) {
      throw new IllegalArgumentException(where + ": unknown expression " + x.keySet());
    }
    String name = (String) x.get(kind);
    Map<String, String> memberSince = new LinkedHashMap<>();
    String since = docFacts(doc, memberSince);
    Object ifCond = x.get("if");
    List<String> features = features(x.get("features"));
    String base = null;
    List<Member> members = List.of();
    String data = null;
    boolean boxed = Boolean.TRUE.equals(x.get("boxed"));
    String discriminator = null;
    List<Branch> branches = List.of();
    List<Member> alternatives = List.of();
    List<Value> values = List.of();
    Object returns = x.get("returns");
    switch (kind) {
      case "struct":
        base = (String) x.get("base");
        members = members(x.get("data"), memberSince);
        break;
      case "union":
        if (x.get("base") instanceof String s) {
          base = s;
        } else {
          members = members(x.get("base"), memberSince);
        }
        discriminator = (String) x.get("discriminator");
        branches = new ArrayList<>();
        for (Map.Entry<String, Object> b : map(x.get("data")).entrySet()) {
          if (b.getValue() instanceof String t) {
            branches.add(new Branch(b.getKey(), t, null));
          } else {
            Map<String, Object> spec = map(b.getValue());
            branches.add(new Branch(b.getKey(), (String) spec.get("type"), spec.get("if")));
          }
        }
        break;
      case "alternate":
        alternatives = members(x.get("data"), memberSince);
        break;
      case "enum":
        values = new ArrayList<>();
        for (Object v : (List<?>) x.get("data")) {
          if (v instanceof String s) {
            values.add(new Value(s, memberSince.get(s), null, List.of()));
          } else {
            Map<String, Object> spec = map(v);
            String n = (String) spec.get("name");
            values.add(
                new Value(n, memberSince.get(n), spec.get("if"), features(spec.get("features"))));
          }
        }
        break;
      case "command":
      case "event":
        if (x.get("data") instanceof String s) {
          data = s;
        } else if (x.get("data") != null) {
          members = members(x.get("data"), memberSince);
        }
        break;
      default:
        throw new IllegalStateException(kind);
    }
    // 'gen': false: QEMU takes arguments beyond those listed (device_add's device properties).
    boolean anyArguments = Boolean.FALSE.equals(x.get("gen"));
    return new Def(
        kind,
        name,
        module,
        since,
        ifCond,
        features,
        base,
        members,
        data,
        boxed,
        discriminator,
        branches,
        alternatives,
        values,
        returns,
        anyArguments);
  }

  /** The definition's {@code Since:} and each member's "(since X.Y)"; nothing else of the prose. */
  private static String docFacts(List<String> doc, Map<String, String> memberSince) {
    String since = null;
    String member = null;
    StringBuilder text = new StringBuilder();
    boolean inFeatures = false;
    for (String line : doc) {
      Matcher top = TOP_SINCE.matcher(line);
      if (top.find()) {
        since = top.group(1);
      }
      Matcher m = MEMBER_DOC.matcher(line);
      if (line.startsWith("Features:")) {
        inFeatures = true;
      }
      boolean ends = line.isBlank() || m.matches() || (!line.startsWith(" ") && line.endsWith(":"));
      if (ends && member != null) {
        Matcher s = SINCE.matcher(text);
        String found = null;
        while (s.find()) {
          found = s.group(1);
        }
        if (found != null) {
          memberSince.putIfAbsent(member, found);
        }
        member = null;
      }
      if (m.matches() && !inFeatures) {
        member = m.group(1);
        text.setLength(0);
        text.append(m.group(2));
      } else if (member != null) {
        text.append(' ').append(line);
      }
    }
    return since;
  }

  private static List<Member> members(Object data, Map<String, String> memberSince) {
    List<Member> out = new ArrayList<>();
    if (data == null) {
      return out;
    }
    for (Map.Entry<String, Object> e : map(data).entrySet()) {
      String key = e.getKey();
      boolean optional = key.startsWith("*");
      String name = optional ? key.substring(1) : key;
      if (e.getValue() instanceof Map<?, ?>) {
        Map<String, Object> spec = map(e.getValue());
        out.add(
            new Member(
                name,
                spec.get("type"),
                optional,
                memberSince.get(name),
                spec.get("if"),
                features(spec.get("features"))));
      } else {
        out.add(new Member(name, e.getValue(), optional, memberSince.get(name), null, List.of()));
      }
    }
    return out;
  }

  private static List<String> features(Object f) {
    if (f == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) f) {
      out.add(o instanceof String s ? s : (String) map(o).get("name"));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) Objects.requireNonNull(o);
  }

  // ---------------------------------------------------------------- the model file

  /** The model as JSON text: a header line, then one definition per line. */
  String toJson() {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"qemu\": ")
        .append(Json.quote(version))
        .append(", \"source\": ")
        .append(Json.quote(source))
        .append(", \"definitions\": [\n");
    for (int i = 0; i < defs.size(); i++) {
      sb.append(Json.write(defToMap(defs.get(i))));
      sb.append(i + 1 < defs.size() ? ",\n" : "\n");
    }
    return sb.append("]}\n").toString();
  }

  static Schema fromJson(String text, String where) {
    Map<String, Object> root = map(QapiSyntax.parse(text, where));
    List<Def> defs = new ArrayList<>();
    for (Object o : (List<?>) root.get("definitions")) {
      defs.add(defFromMap(map(o)));
    }
    return new Schema((String) root.get("qemu"), (String) root.get("source"), defs);
  }

  private static Map<String, Object> defToMap(Def d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", d.kind());
    m.put("name", d.name());
    m.put("module", d.module());
    put(m, "since", d.since());
    put(m, "if", d.ifCond());
    if (!d.features().isEmpty()) {
      m.put("features", d.features());
    }
    put(m, "base", d.base());
    put(m, "data", d.data());
    if (d.boxed()) {
      m.put("boxed", true);
    }
    put(m, "discriminator", d.discriminator());
    if (!d.members().isEmpty()) {
      m.put("members", membersToList(d.members()));
    }
    if (!d.branches().isEmpty()) {
      List<Object> l = new ArrayList<>();
      for (Branch b : d.branches()) {
        Map<String, Object> bm = new LinkedHashMap<>();
        bm.put("value", b.value());
        bm.put("type", b.type());
        put(bm, "if", b.ifCond());
        l.add(bm);
      }
      m.put("branches", l);
    }
    if (!d.alternatives().isEmpty()) {
      m.put("alternatives", membersToList(d.alternatives()));
    }
    if (!d.values().isEmpty()) {
      List<Object> l = new ArrayList<>();
      for (Value v : d.values()) {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("name", v.name());
        put(vm, "since", v.since());
        put(vm, "if", v.ifCond());
        if (!v.features().isEmpty()) {
          vm.put("features", v.features());
        }
        l.add(vm);
      }
      m.put("values", l);
    }
    put(m, "returns", d.returns());
    if (d.anyArguments()) {
      m.put("any-arguments", true);
    }
    return m;
  }

  private static List<Object> membersToList(List<Member> members) {
    List<Object> l = new ArrayList<>();
    for (Member mb : members) {
      Map<String, Object> mm = new LinkedHashMap<>();
      mm.put("name", mb.name());
      mm.put("type", mb.type());
      if (mb.optional()) {
        mm.put("optional", true);
      }
      put(mm, "since", mb.since());
      put(mm, "if", mb.ifCond());
      if (!mb.features().isEmpty()) {
        mm.put("features", mb.features());
      }
      l.add(mm);
    }
    return l;
  }

  private static void put(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private static Def defFromMap(Map<String, Object> m) {
    List<Branch> branches = new ArrayList<>();
    for (Object o : list(m.get("branches"))) {
      Map<String, Object> b = map(o);
      branches.add(new Branch((String) b.get("value"), (String) b.get("type"), b.get("if")));
    }
    List<Value> values = new ArrayList<>();
    for (Object o : list(m.get("values"))) {
      Map<String, Object> v = map(o);
      values.add(
          new Value(
              (String) v.get("name"),
              (String) v.get("since"),
              v.get("if"),
              strings(v.get("features"))));
    }
    return new Def(
        (String) m.get("kind"),
        (String) m.get("name"),
        (String) m.get("module"),
        (String) m.get("since"),
        m.get("if"),
        strings(m.get("features")),
        (String) m.get("base"),
        membersFromList(m.get("members")),
        (String) m.get("data"),
        Boolean.TRUE.equals(m.get("boxed")),
        (String) m.get("discriminator"),
        branches,
        membersFromList(m.get("alternatives")),
        values,
        m.get("returns"),
        Boolean.TRUE.equals(m.get("any-arguments")));
  }

  private static List<Member> membersFromList(Object o) {
    List<Member> out = new ArrayList<>();
    for (Object e : list(o)) {
      Map<String, Object> mm = map(e);
      out.add(
          new Member(
              (String) mm.get("name"),
              mm.get("type"),
              Boolean.TRUE.equals(mm.get("optional")),
              (String) mm.get("since"),
              mm.get("if"),
              strings(mm.get("features"))));
    }
    return out;
  }

  private static List<?> list(Object o) {
    return o == null ? List.of() : (List<?>) o;
  }

  private static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    for (Object e : list(o)) {
      out.add((String) e);
    }
    return out;
  }
}
