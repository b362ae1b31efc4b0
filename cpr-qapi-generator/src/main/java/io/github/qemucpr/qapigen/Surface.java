package io.github.qemucpr.qapigen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Several QEMU versions' schemas merged into the one surface that is generated: each type, member,
 * branch and enum value records the versions that have it. Struct bases are flattened (Java records
 * do not inherit), so a base that moved between versions changes nothing.
 *
 * <p>Rules: a member is optional in the surface if it is optional in any version, or missing from a
 * version that has its type; where versions disagree on a member's type, the newest version's type
 * wins (and {@link #conflicts()} says so); the reference manual's plain {@code int} takes the width
 * another version gives the same member.
 */
final class Surface {

  /** A member of a struct, union base, command or event, or an alternative of an alternate. */
  static final class Member {
    final String name;
    Object type;
    boolean optional;
    final Set<String> versions = new TreeSet<>(Surface::compareVersions);
    String since;
    Object ifCond;
    final Set<String> features = new TreeSet<>();

    /**
     * Whether the integer type is known: false for a plain {@code int} that only versions read from
     * the reference manual give, which writes every integer type as {@code int}.
     */
    boolean widthKnown;

    Member(String name) {
      this.name = name;
    }
  }

  /** An enum value. */
  static final class Value {
    final String name;
    final Set<String> versions = new TreeSet<>(Surface::compareVersions);
    String since;
    Object ifCond;
    final Set<String> features = new TreeSet<>();

    Value(String name) {
      this.name = name;
    }
  }

  /** A union branch. */
  static final class Branch {
    final String value;
    String type;
    Object ifCond;
    final Set<String> versions = new TreeSet<>(Surface::compareVersions);

    Branch(String value) {
      this.value = value;
    }
  }

  /** A definition of the merged surface. */
  static final class Entity {
    final String kind;
    final String name;
    String module;
    String docModule;
    String since;
    Object ifCond;
    final Set<String> versions = new TreeSet<>(Surface::compareVersions);

    /** Features the source gives the definition itself. */
    final Set<String> features = new TreeSet<>();

    /** Features the reference manual lists for the definition or one of its members. */
    final Set<String> documentedFeatures = new TreeSet<>();

    /** Struct, event, command (inline) members, or a union's base members. */
    final List<Member> members = new ArrayList<>();

    final List<Member> alternatives = new ArrayList<>();
    final List<Value> values = new ArrayList<>();
    final List<Branch> branches = new ArrayList<>();
    String discriminator;

    /** Command or event arguments given as a named type. */
    String data;

    Object returns;

    /** QEMU takes arguments beyond the members (device_add). */
    boolean anyArguments;

    Entity(String kind, String name) {
      this.kind = kind;
      this.name = name;
    }

    Member member(String n) {
      for (Member m : members) {
        if (m.name.equals(n)) {
          return m;
        }
      }
      return null;
    }
  }

  final List<String> versions = new ArrayList<>();
  final Map<String, Entity> entities = new LinkedHashMap<>();
  private final List<String> conflicts = new ArrayList<>();

  List<String> conflicts() {
    return conflicts;
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int c =
          Integer.compare(
              i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** The label of a QEMU version in the surface: major.minor. */
  static String label(String qemuVersion) {
    String[] p = qemuVersion.split("\\.");
    return p[0] + "." + p[1];
  }

  /** Merges schemas, oldest first. Source-derived schemas give the order of members and values. */
  static Surface merge(List<Schema> schemas) {
    Surface s = new Surface();
    List<Schema> ordered = new ArrayList<>(schemas);
    ordered.sort((a, b) -> compareVersions(a.version(), b.version()));
    // Source-derived schemas first, so that their order of members comes first.
    List<Schema> byTrust = new ArrayList<>();
    ordered.stream().filter(x -> x.source().equals("qapi")).forEach(byTrust::add);
    ordered.stream().filter(x -> !x.source().equals("qapi")).forEach(byTrust::add);
    for (Schema schema : ordered) {
      s.versions.add(label(schema.version()));
    }
    for (Schema schema : byTrust) {
      s.add(schema);
    }
    // Newest definition wins where versions disagree: re-apply types in version order.
    for (Schema schema : ordered) {
      s.applyTypes(schema);
    }
    s.finish();
    return s;
  }

  private void add(Schema schema) {
    String v = label(schema.version());
    boolean manual = !schema.source().equals("qapi");
    Map<String, Schema.Def> defs = schema.byName();
    for (Schema.Def d : schema.defs()) {
      Entity e = entities.get(d.name());
      if (e == null) {
        e = new Entity(d.kind(), d.name());
        entities.put(d.name(), e);
      } else if (!e.kind.equals(d.kind())) {
        conflicts.add(d.name() + ": a " + e.kind + " in some versions, a " + d.kind() + " in " + v);
      }
      e.versions.add(v);
      if (e.module == null) {
        e.module = d.module();
      }
      if (manual || e.docModule == null) {
        e.docModule = d.module();
      }
      if (e.since == null) {
        e.since = d.since();
      }
      if (e.ifCond == null) {
        e.ifCond = d.ifCond();
      }
      (manual ? e.documentedFeatures : e.features).addAll(d.features());
      e.anyArguments |= d.anyArguments();
      switch (d.kind()) {
        case "struct":
          addMembers(e.members, flatten(d, defs), v);
          break;
        case "union":
          List<Schema.Member> base =
              d.base() != null ? flatten(defs.get(d.base()), defs) : d.members();
          addMembers(e.members, base, v);
          e.discriminator = d.discriminator();
          for (Schema.Branch b : d.branches()) {
            Branch br = findBranch(e.branches, b.value());
            br.versions.add(v);
            br.type = b.type();
            if (br.ifCond == null) {
              br.ifCond = b.ifCond();
            }
          }
          break;
        case "alternate":
          addMembers(e.alternatives, d.alternatives(), v);
          break;
        case "enum":
          for (Schema.Value sv : d.values()) {
            Value val = findValue(e.values, sv.name());
            val.versions.add(v);
            if (val.since == null) {
              val.since = sv.since();
            }
            if (val.ifCond == null) {
              val.ifCond = sv.ifCond();
            }
            if (!manual) {
              val.features.addAll(sv.features());
            }
          }
          break;
        case "command":
        case "event":
          addMembers(e.members, arguments(d, defs), v);
          break;
        default:
          throw new IllegalStateException(d.kind());
      }
    }
  }

  /** Types, data and returns by version order, so that the newest version's choice stands. */
  private void applyTypes(Schema schema) {
    String v = label(schema.version());
    boolean fromSource = schema.source().equals("qapi");
    for (Schema.Def d : schema.defs()) {
      Entity e = entities.get(d.name());
      if (d.kind().equals("command") || d.kind().equals("event")) {
        if (boxedUnion(d, schema.byName())) {
          if (e.data != null && !e.data.equals(d.data())) {
            conflicts.add(d.name() + ": arguments " + e.data + ", in " + v + " " + d.data());
          }
          e.data = d.data();
        }
        if (d.returns() != null) {
          if (e.returns != null
              && !SchemaDiff.norm(e.returns).equals(SchemaDiff.norm(d.returns()))) {
            conflicts.add(d.name() + ": returns " + e.returns + ", in " + v + " " + d.returns());
          }
          e.returns = d.returns();
        }
      }
    }
    Map<String, Schema.Def> defs = schema.byName();
    for (Schema.Def d : schema.defs()) {
      Entity e = entities.get(d.name());
      List<Schema.Member> ms;
      switch (d.kind()) {
        case "struct":
          ms = flatten(d, defs);
          break;
        case "union":
          ms = d.base() != null ? flatten(defs.get(d.base()), defs) : d.members();
          break;
        case "alternate":
          ms = d.alternatives();
          break;
        case "command":
        case "event":
          ms = arguments(d, defs);
          break;
        default:
          ms = List.of();
      }
      List<Member> target = d.kind().equals("alternate") ? e.alternatives : e.members;
      for (Schema.Member m : ms) {
        Member merged = find(target, m.name());
        Object newer = m.type();
        if (merged.type != null && !SchemaDiff.norm(merged.type).equals(SchemaDiff.norm(newer))) {
          conflicts.add(d.name() + "." + m.name() + ": " + merged.type + ", in " + v + " " + newer);
          merged.type = newer;
          merged.widthKnown = fromSource || !isPlainInt(newer);
        } else if (merged.type == null || !isPlainInt(newer)) {
          merged.type = newer;
          merged.widthKnown = fromSource || !isPlainInt(newer);
        } else if (fromSource) {
          merged.widthKnown = true; // a source gives this integer's type
        }
      }
    }
  }

  static boolean isPlainInt(Object type) {
    return type instanceof List<?> l ? isPlainInt(l.get(0)) : "int".equals(type);
  }

  private void finish() {
    for (Entity e : entities.values()) {
      for (Member m : e.members) {
        if (m.type == null) {
          throw new IllegalStateException(e.name + "." + m.name + " has no type in " + m.versions);
        }
        if (!m.versions.containsAll(e.versions)) {
          m.optional = true;
        }
      }
      if (e.kind.equals("union")) {
        Member d = e.member(e.discriminator);
        if (d == null) {
          conflicts.add(e.name + ": no discriminator member " + e.discriminator);
          continue;
        }
        // A branch exists only where its type does; so does its discriminator value. The
        // reference manual shows conditions of definitions only, so this fills in the rest.
        Entity values = d.type instanceof String t ? entities.get(t) : null;
        for (Branch b : e.branches) {
          Entity type = entities.get(b.type);
          if (b.ifCond == null && type != null && type.ifCond != null) {
            b.ifCond = type.ifCond;
          }
          if (b.ifCond != null && values != null) {
            for (Value v : values.values) {
              if (v.name.equals(b.value) && v.ifCond == null) {
                v.ifCond = b.ifCond;
              }
            }
          }
        }
      }
    }
  }

  private static void addMembers(List<Member> target, List<Schema.Member> members, String v) {
    for (Schema.Member m : members) {
      Member merged = find(target, m.name());
      merged.versions.add(v);
      merged.optional |= m.optional();
      if (merged.since == null) {
        merged.since = m.since();
      }
      if (merged.ifCond == null) {
        merged.ifCond = m.ifCond();
      }
      merged.features.addAll(m.features());
    }
  }

  /**
   * The arguments of a command (or data of an event) as members: a named struct's members count as
   * if listed in place (QEMU moves between the two forms, as cxl-inject-dram-event did in 11.0); a
   * union stays one value, {@link Entity#data}.
   */
  private static List<Schema.Member> arguments(Schema.Def d, Map<String, Schema.Def> defs) {
    if (d.data() == null) {
      return d.members();
    }
    return boxedUnion(d, defs) ? List.of() : flatten(defs.get(d.data()), defs);
  }

  private static boolean boxedUnion(Schema.Def d, Map<String, Schema.Def> defs) {
    return d.data() != null && !defs.get(d.data()).kind().equals("struct");
  }

  /** The members of a struct with those of its bases, base first, as they go on the wire. */
  static List<Schema.Member> flatten(Schema.Def d, Map<String, Schema.Def> defs) {
    Objects.requireNonNull(d, "base");
    List<Schema.Member> out = new ArrayList<>();
    if (d.base() != null) {
      out.addAll(flatten(Objects.requireNonNull(defs.get(d.base()), d.base()), defs));
    }
    out.addAll(d.members());
    return out;
  }

  private static Member find(List<Member> list, String name) {
    for (Member m : list) {
      if (m.name.equals(name)) {
        return m;
      }
    }
    Member m = new Member(name);
    list.add(m);
    return m;
  }

  private static Value findValue(List<Value> list, String name) {
    for (Value m : list) {
      if (m.name.equals(name)) {
        return m;
      }
    }
    Value m = new Value(name);
    list.add(m);
    return m;
  }

  private static Branch findBranch(List<Branch> list, String value) {
    for (Branch b : list) {
      if (b.value.equals(value)) {
        return b;
      }
    }
    Branch b = new Branch(value);
    list.add(b);
    return b;
  }

  /** The versions of the surface that lack something present in {@code versions}. */
  Set<String> missingFrom(Set<String> present, Set<String> within) {
    Set<String> out = new LinkedHashSet<>(within);
    out.removeAll(present);
    return out;
  }
}
