package io.github.qemucpr.qapigen;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Command line of the generator; see scripts/generate-qmp.sh. */
public final class Main {
  private Main() {}

  /**
   * {@code strip VERSION QAPI_DIR OUT.json} writes the comment-free model of a qapi/ directory.
   *
   * @param args the command and its arguments
   * @throws Exception on any failure, which ends the build step
   */
  public static void main(String[] args) throws Exception {
    switch (args.length > 0 ? args[0] : "") {
      case "strip":
        Schema s = Schema.readQapi(Path.of(args[2]), args[1]);
        Files.writeString(Path.of(args[3]), s.toJson(), StandardCharsets.UTF_8);
        System.err.println(args[3] + ": " + s.defs().size() + " definitions");
        break;
      case "manual":
        Schema h = ReferenceManual.read(Files.readString(Path.of(args[2])), args[1]);
        Files.writeString(Path.of(args[3]), h.toJson(), StandardCharsets.UTF_8);
        System.err.println(args[3] + ": " + h.defs().size() + " definitions");
        break;
      case "check-manual":
        // The manual reader against the source of the same version: only what the manual does
        // not tell (undocumented replies) may differ.
        Schema src = Schema.fromJson(Files.readString(Path.of(args[1])), args[1]);
        Schema man = Schema.fromJson(Files.readString(Path.of(args[2])), args[2]);
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (String d : SchemaDiff.differences(src, man)) {
          if (!d.matches("\\S+ (returns: source .*, manual null|since: .*)")) {
            bad.add(d);
          }
        }
        bad.forEach(System.err::println);
        if (!bad.isEmpty()) {
          System.exit(1);
        }
        break;
      case "diff":
        Schema a = Schema.fromJson(Files.readString(Path.of(args[1])), args[1]);
        Schema b = Schema.fromJson(Files.readString(Path.of(args[2])), args[2]);
        SchemaDiff.differences(a, b).forEach(System.out::println);
        break;
      case "merge":
        java.util.List<Schema> schemas = new java.util.ArrayList<>();
        for (int i = 1; i < args.length; i++) {
          schemas.add(Schema.fromJson(Files.readString(Path.of(args[i])), args[i]));
        }
        Surface surface = Surface.merge(schemas);
        surface.conflicts().forEach(System.out::println);
        break;
      case "generate":
        java.util.Map<String, String> files =
            Generator.generate(Generator.readModels(Path.of(args[1])));
        Generator.write(files, Path.of(args[2]));
        System.err.println(args[2] + ": " + files.size() + " generated files");
        break;
      default:
        System.err.println(
            "usage: strip VERSION QAPI_DIR OUT.json | manual VERSION QMP_REF_HTML OUT.json"
                + " | generate SCHEMA_DIR SRC_MAIN_JAVA | merge MODEL... | diff MODEL MODEL");
        System.exit(2);
    }
  }
}
