package io.github.qemucpr.qapigen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** From the pinned schema models to the generated sources, and the check that they match. */
final class Generator {
  private Generator() {}

  /** The generated package directories and file, relative to src/main/java. */
  static final List<String> GENERATED_ROOTS =
      List.of(
          JavaNames.BASE_PACKAGE.replace('.', '/'),
          JavaEmitter.INTERNAL.replace('.', '/') + "/QapiIndex.java");

  /** Hand-written files under the generated package. */
  static boolean handWritten(String relative) {
    String base = JavaNames.BASE_PACKAGE.replace('.', '/') + "/";
    return relative.startsWith(base) && relative.indexOf('/', base.length()) < 0;
  }

  static List<Schema> readModels(Path schemaDir) throws IOException {
    List<Schema> schemas = new ArrayList<>();
    try (Stream<Path> s = Files.list(schemaDir)) {
      for (Path p :
          s.filter(x -> x.getFileName().toString().matches("qemu-[0-9.]+\\.json"))
              .sorted()
              .toList()) {
        schemas.add(Schema.fromJson(Files.readString(p, StandardCharsets.UTF_8), p.toString()));
      }
    }
    if (schemas.isEmpty()) {
      throw new IllegalArgumentException("no qemu-VERSION.json in " + schemaDir);
    }
    return schemas;
  }

  static Map<String, String> generate(List<Schema> schemas) {
    Surface surface = Surface.merge(schemas);
    List<String> versions = new ArrayList<>();
    schemas.stream().map(Schema::version).sorted(Surface::compareVersions).forEach(versions::add);
    return new JavaEmitter(surface, versions).emit();
  }

  /** The generated files now under {@code srcMainJava}, by relative path. */
  static List<String> existing(Path srcMainJava) throws IOException {
    List<String> out = new ArrayList<>();
    for (String root : GENERATED_ROOTS) {
      Path p = srcMainJava.resolve(root);
      if (Files.isRegularFile(p)) {
        out.add(root);
      } else if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.walk(p)) {
          s.filter(Files::isRegularFile)
              .map(x -> srcMainJava.relativize(x).toString().replace('\\', '/'))
              .filter(x -> !handWritten(x))
              .forEach(out::add);
        }
      }
    }
    return out;
  }

  static void write(Map<String, String> files, Path srcMainJava) throws IOException {
    for (String stale : existing(srcMainJava)) {
      if (!files.containsKey(stale)) {
        Files.delete(srcMainJava.resolve(stale));
      }
    }
    files.forEach(
        (rel, text) -> {
          try {
            Path p = srcMainJava.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.writeString(p, text, StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
