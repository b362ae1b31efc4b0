package io.github.qemucpr.qapigen;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** QAPI names in Java spelling: QEMU's own names, made legal and unambiguous, nothing more. */
final class JavaNames {
  private JavaNames() {}

  static final String BASE_PACKAGE = "io.github.qemucpr.qmp.qapi";

  /** Simple names the generated sources use unqualified; a QAPI type of that name is renamed. */
  static final Set<String> TAKEN =
      Set.of(
          "String",
          "Object",
          "Long",
          "Double",
          "Boolean",
          "Integer",
          "Override",
          "Deprecated",
          "Map",
          "List",
          "Instant",
          "Type",
          "Objects",
          "Nullable",
          "SuppressWarnings",
          "Record",
          "Enum",
          "Class",
          "Void",
          "Math",
          "System",
          "Number",
          "QmpCommand",
          "QapiName",
          "QapiMember",
          "QapiBranch",
          "QapiDiscriminator",
          "QapiBoxed",
          "QapiEnum",
          "QapiEvent",
          "QapiObject",
          "QemuVersions",
          "Unstable",
          "QapiIf",
          "QapiCodec",
          "QapiCopies");

  private static final Set<String> KEYWORDS =
      Set.of(
          "abstract",
          "assert",
          "boolean",
          "break",
          "byte",
          "case",
          "catch",
          "char",
          "class",
          "const",
          "continue",
          "default",
          "do",
          "double",
          "else",
          "enum",
          "extends",
          "final",
          "finally",
          "float",
          "for",
          "goto",
          "if",
          "implements",
          "import",
          "instanceof",
          "int",
          "interface",
          "long",
          "native",
          "new",
          "package",
          "private",
          "protected",
          "public",
          "return",
          "short",
          "static",
          "strictfp",
          "super",
          "switch",
          "synchronized",
          "this",
          "throw",
          "throws",
          "transient",
          "try",
          "void",
          "volatile",
          "while",
          "true",
          "false",
          "null",
          "var",
          "yield",
          "record",
          "sealed",
          "permits",
          "_");

  /** Record components may not be named like Object's no-argument methods. */
  static final Set<String> OBJECT_METHODS =
      Set.of(
          "clone", "finalize", "getClass", "hashCode", "notify", "notifyAll", "toString", "wait");

  static String packageOf(String module) {
    String p = module.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    // char.json holds the character devices.
    return BASE_PACKAGE + "." + (p.equals("char") ? "chardev" : KEYWORDS.contains(p) ? p + "s" : p);
  }

  /** {@code BlockdevOptionsQcow2} stays; {@code String} becomes {@code QapiString}. */
  static String typeName(String qapi) {
    String n = upperCamel(qapi, false);
    return TAKEN.contains(n) ? "Qapi" + n : n;
  }

  /** {@code query-cpus-fast} becomes {@code QueryCpusFast}. */
  static String commandName(String qapi) {
    return upperCamel(qapi, true);
  }

  /** {@code BLOCK_JOB_COMPLETED} becomes {@code BlockJobCompletedEvent}. */
  static String eventName(String qapi) {
    return upperCamel(qapi.toLowerCase(Locale.ROOT), true) + "Event";
  }

  /** A variant of a union or an alternate: {@code host_device} becomes {@code HostDevice}. */
  static String variantName(String qapi) {
    String n = upperCamel(qapi, true);
    return Character.isDigit(n.charAt(0)) ? "V" + n : n;
  }

  /** {@code node-name} becomes {@code nodeName}; {@code class} becomes {@code class_}. */
  static String memberName(String qapi) {
    String[] parts = qapi.split("[-_.]+");
    StringBuilder sb = new StringBuilder();
    for (String p : parts) {
      if (p.isEmpty()) {
        continue;
      }
      if (sb.length() == 0) {
        sb.append(Character.toLowerCase(p.charAt(0))).append(p.substring(1));
      } else {
        sb.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1));
      }
    }
    String n = sb.toString();
    if (n.isEmpty() || Character.isDigit(n.charAt(0))) {
      n = "m" + n;
    }
    return KEYWORDS.contains(n) ? n + "_" : n;
  }

  /** {@code host_device} becomes {@code HOST_DEVICE}; {@code 2_5} becomes {@code _2_5}. */
  static String constantName(String qapi) {
    String n = qapi.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    return Character.isDigit(n.charAt(0)) ? "_" + n : n;
  }

  private static String upperCamel(String qapi, boolean splitLowercase) {
    StringBuilder sb = new StringBuilder();
    boolean up = true;
    for (char c : qapi.toCharArray()) {
      if (!Character.isLetterOrDigit(c)) {
        up = true;
        continue;
      }
      sb.append(up ? Character.toUpperCase(c) : c);
      up = false;
    }
    return sb.toString();
  }

  /**
   * Unique names in one scope: the first keeps its name, a later clash gets a number (QAPI allows
   * {@code a-b} beside {@code a_b}; Java spells both {@code aB}).
   */
  static final class Scope {
    private final Map<String, Integer> used = new HashMap<>();

    Scope(List<String> reserved) {
      for (String r : reserved) {
        used.put(r, 1);
      }
    }

    String claim(String name, String suffixOnClash) {
      String n = name;
      if (used.containsKey(n)) {
        n = name + suffixOnClash;
      }
      int i = 2;
      String base = n;
      while (used.containsKey(n)) {
        n = base + i++;
      }
      used.put(n, 1);
      return n;
    }
  }
}
