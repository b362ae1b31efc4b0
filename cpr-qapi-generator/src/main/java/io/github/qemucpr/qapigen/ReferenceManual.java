package io.github.qemucpr.qapigen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the schema's names and structure out of QEMU's QMP reference manual ({@code
 * qemu-qmp-ref.html}, which Sphinx makes from the schema), for a version whose source package the
 * Debian mirror does not carry. Only names, types, optionality, union branches, conditions,
 * features and since versions are taken; the prose is skipped.
 *
 * <p>The manual loses two facts the source has: integer widths (every integer type reads {@code
 * int}; {@link Surface} takes the width from another version where the member is the same) and
 * conditions on single members or values. Checked against the source of 10.0.2 by
 * ReferenceManualTest.
 */
final class ReferenceManual {
  private ReferenceManual() {}

  private static final Pattern ENTITY =
      Pattern.compile(
          "<dt class=\"sig sig-object qapi\" id=\"(object|command|enum|event|alternate)-QMP-([^.\"]+)\\.([^\"]+)\">");
  private static final Pattern HEADER_SINCE =
      Pattern.compile("\\(Since:</span> <span class=\"pre\">([0-9.]+)\\)");
  private static final Pattern AVAILABILITY =
      Pattern.compile("<em>Availability</em>: (.*?)</div>", Pattern.DOTALL);
  private static final Pattern FIELD =
      Pattern.compile("<dt class=\"field-\\w+\">(\\w+)<span class=\"colon\">:</span></dt>");
  private static final Pattern MEMBER =
      Pattern.compile(
          "^<strong>([^<]+)</strong>(?: \\(<span>(.*?)</span>\\))?(.*)$", Pattern.DOTALL);
  private static final Pattern MEMBERS_OF =
      Pattern.compile("^The members of (.*?)\\.?$", Pattern.DOTALL);
  private static final Pattern WHEN =
      Pattern.compile("^When (\\S+) is (.*?): The members of (.*?)\\.?$", Pattern.DOTALL);
  private static final Pattern SINCE =
      Pattern.compile("(?i)\\bsince:?\\s+(\\d+\\.\\d+(?:\\.\\d+)?)");

  static Schema read(String html, String version) {
    List<Schema.Def> defs = new ArrayList<>();
    Matcher m = ENTITY.matcher(html);
    List<int[]> starts = new ArrayList<>();
    List<String[]> heads = new ArrayList<>();
    while (m.find()) {
      starts.add(new int[] {m.start()});
      heads.add(new String[] {m.group(1), m.group(2), unescape(m.group(3))});
    }
    for (int i = 0; i < starts.size(); i++) {
      int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : html.length();
      String chunk = html.substring(starts.get(i)[0], end);
      defs.add(definition(heads.get(i)[0], heads.get(i)[1], heads.get(i)[2], chunk));
    }
    return new Schema(version, "reference-manual", defs);
  }

  private static Schema.Def definition(String docKind, String module, String name, String chunk) {
    int headerEnd = chunk.indexOf("</dt>");
    Matcher sm = HEADER_SINCE.matcher(chunk.substring(0, headerEnd));
    String since = sm.find() ? sm.group(1) : null;
    // The availability line of the definition itself comes before its first paragraph.
    int firstField = chunk.indexOf("<dl class=\"field-list");
    String intro = chunk.substring(headerEnd, firstField < 0 ? chunk.length() : firstField);
    Matcher am = AVAILABILITY.matcher(intro);
    Object ifCond = am.find() ? text(am.group(1)) : null;

    List<Schema.Member> members = new ArrayList<>();
    List<Schema.Member> alternatives = new ArrayList<>();
    List<Schema.Value> values = new ArrayList<>();
    List<Schema.Branch> branches = new ArrayList<>();
    List<String> features = new ArrayList<>();
    List<String> membersOf = new ArrayList<>();
    String discriminator = null;
    Object returns = null;

    Matcher f = FIELD.matcher(chunk);
    List<Integer> fieldStarts = new ArrayList<>();
    List<String> fieldNames = new ArrayList<>();
    while (f.find()) {
      fieldStarts.add(f.end());
      fieldNames.add(f.group(1));
    }
    for (int i = 0; i < fieldStarts.size(); i++) {
      int from = fieldStarts.get(i);
      int to = i + 1 < fieldStarts.size() ? fieldStarts.get(i + 1) : chunk.length();
      String body = chunk.substring(from, to);
      int close = body.indexOf("</dd>\n</dl>");
      if (close >= 0) {
        body = body.substring(0, close);
      }
      String field = fieldNames.get(i);
      if (field.equals("Return")) {
        int dd = body.indexOf("</dd>");
        returns = type(text(dd < 0 ? body : body.substring(0, dd)).split(" – ")[0].strip());
        continue;
      }
      for (String item : items(body)) {
        Matcher when = WHEN.matcher(text(item));
        Matcher of = MEMBERS_OF.matcher(text(item));
        Matcher mm = MEMBER.matcher(item);
        if (when.matches()) {
          discriminator = text(when.group(1));
          String type = text(when.group(3));
          for (String value : text(when.group(2)).split(" or |, ")) {
            branches.add(new Schema.Branch(value.strip(), type, null));
          }
        } else if (of.matches()) {
          membersOf.add(text(of.group(1)));
        } else if (mm.matches()) {
          String memberName = unescape(mm.group(1));
          String typeText = mm.group(2) == null ? "" : text(mm.group(2));
          String rest = text(mm.group(3));
          Matcher s = SINCE.matcher(rest);
          String memberSince = null;
          while (s.find()) {
            memberSince = s.group(1);
          }
          switch (field) {
            case "Members":
            case "Arguments":
              boolean optional = typeText.endsWith(", optional");
              String t =
                  optional
                      ? typeText.substring(0, typeText.length() - ", optional".length())
                      : typeText;
              members.add(
                  new Schema.Member(memberName, type(t), optional, memberSince, null, List.of()));
              break;
            case "Alternatives":
              alternatives.add(
                  new Schema.Member(
                      memberName, type(typeText), false, memberSince, null, List.of()));
              break;
            case "Values":
              values.add(new Schema.Value(memberName, memberSince, null, List.of()));
              break;
            case "Features":
              features.add(memberName);
              break;
            default:
              break;
          }
        }
      }
    }

    String kind;
    String base = null;
    String data = null;
    boolean boxed = false;
    switch (docKind) {
      case "object":
        kind = branches.isEmpty() ? "struct" : "union";
        if (membersOf.size() > 1) {
          throw new IllegalArgumentException(name + ": more than one base: " + membersOf);
        }
        if (!membersOf.isEmpty()) {
          base = membersOf.get(0);
        }
        if (kind.equals("union") && base != null && !members.isEmpty()) {
          throw new IllegalArgumentException(name + ": a union with both a base and own members");
        }
        break;
      case "command":
      case "event":
        kind = docKind;
        if (!membersOf.isEmpty()) {
          if (!members.isEmpty() || membersOf.size() > 1) {
            throw new IllegalArgumentException(name + ": arguments both listed and named");
          }
          data = membersOf.get(0);
          boxed = true;
        }
        break;
      default:
        kind = docKind;
    }
    return new Schema.Def(
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
        false);
  }

  /** The top-level items of a field's bullet list (nested lists stay inside their item). */
  private static List<String> items(String body) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int itemStart = -1;
    int i = 0;
    while (i < body.length()) {
      if (body.startsWith("<li>", i)) {
        depth++;
        if (depth == 1) {
          itemStart = i + 4;
        }
        i += 4;
      } else if (body.startsWith("</li>", i)) {
        if (depth == 1) {
          String item = body.substring(itemStart, i).strip();
          if (item.startsWith("<p>")) {
            item = item.substring(3);
          }
          if (item.endsWith("</p>")) {
            item = item.substring(0, item.length() - 4);
          }
          out.add(item.strip());
        }
        depth--;
        i += 5;
      } else {
        i++;
      }
    }
    if (out.isEmpty()) {
      // A single item is not always a list: "The members of X." as a bare paragraph.
      String t = text(body).strip();
      if (t.startsWith("The members of")) {
        out.add(t);
      }
    }
    return out;
  }

  private static Object type(String t) {
    t = t.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      return List.of(type(t.substring(1, t.length() - 1)));
    }
    switch (t) {
      case "string":
        return "str";
      case "boolean":
        return "bool";
      case "value":
        return "any";
      default:
        return t;
    }
  }

  private static String text(String html) {
    return unescape(html.replaceAll("<[^>]+>", "")).replaceAll("\\s+", " ").strip();
  }

  private static final Map<String, String> ENTITIES =
      Map.of("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'");

  private static String unescape(String s) {
    for (Map.Entry<String, String> e : ENTITIES.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    return s;
  }
}
