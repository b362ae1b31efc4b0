package io.github.qemucpr.qapigen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Compares two models of the same QEMU version, up to what the reference manual cannot tell
 * (integer widths, conditions on members and values): how ReferenceManualTest shows that the manual
 * reader gives the source's structure.
 */
final class SchemaDiff {
  private SchemaDiff() {}

  private static final Set<String> INTEGERS =
      Set.of(
          "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size");

  static List<String> differences(Schema source, Schema manual) {
    List<String> out = new ArrayList<>();
    Map<String, Schema.Def> m = manual.byName();
    Map<String, Schema.Def> s = source.byName();
    for (Schema.Def d : source.defs()) {
      Schema.Def h = m.get(d.name());
      if (h == null) {
        out.add(d.kind() + " " + d.name() + ": not in the manual");
        continue;
      }
      check(out, d.name(), "kind", d.kind(), h.kind());
      check(out, d.name(), "since", d.since(), h.since());
      check(out, d.name(), "base", d.base(), h.base());
      check(out, d.name(), "data", d.data(), h.data());
      check(out, d.name(), "discriminator", d.discriminator(), h.discriminator());
      check(out, d.name(), "returns", norm(d.returns()), norm(h.returns()));
      check(out, d.name(), "members", sorted(members(d.members())), sorted(members(h.members())));
      check(out, d.name(), "alternatives", members(d.alternatives()), members(h.alternatives()));
      List<String> sv = new ArrayList<>();
      d.values().forEach(v -> sv.add(v.name()));
      List<String> hv = new ArrayList<>();
      h.values().forEach(v -> hv.add(v.name()));
      check(out, d.name(), "values", sorted(sv), sorted(hv));
      List<String> sb = new ArrayList<>();
      d.branches().forEach(b -> sb.add(b.value() + "=" + b.type()));
      List<String> hb = new ArrayList<>();
      h.branches().forEach(b -> hb.add(b.value() + "=" + b.type()));
      check(out, d.name(), "branches", sb, hb);
    }
    for (Schema.Def h : manual.defs()) {
      if (!s.containsKey(h.name())) {
        out.add(h.kind() + " " + h.name() + ": only in the manual");
      }
    }
    return out;
  }

  private static List<String> members(List<Schema.Member> members) {
    List<String> out = new ArrayList<>();
    for (Schema.Member m : members) {
      out.add((m.optional() ? "*" : "") + m.name() + ":" + norm(m.type()));
    }
    return out;
  }

  private static List<String> sorted(List<String> l) {
    List<String> c = new ArrayList<>(l);
    java.util.Collections.sort(c);
    return c;
  }

  static Object norm(Object type) {
    if (type instanceof List<?> l) {
      return List.of(norm(l.get(0)));
    }
    return type != null && INTEGERS.contains(type) ? "int" : type;
  }

  private static void check(List<String> out, String name, String what, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      out.add(name + " " + what + ": source " + a + ", manual " + b);
    }
  }
}
