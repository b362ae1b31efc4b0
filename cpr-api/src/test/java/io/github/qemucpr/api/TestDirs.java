package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Directories on a file system of a given kind, for tests whose subject is the kind: instead of
 * skipping when the temp directory happens to be of the other kind, a test takes one that is. A
 * machine that has none fails the test, saying so.
 */
public final class TestDirs {

  private static final List<String> VOLATILE = List.of("tmpfs", "ramfs");

  private TestDirs() {}

  /**
   * A fresh directory on a disk (not tmpfs or ramfs): under the module's {@code target/} (the
   * checkout is on a disk wherever the build runs), else under the temp directory.
   */
  public static Path onDisk() {
    for (Path base :
        List.of(
            Path.of("target").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir")))) {
      if (Files.isDirectory(base) && !VOLATILE.contains(typeOf(base))) {
        try {
          return Files.createTempDirectory(base, "on-disk-");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return fail("no directory on a disk: target/ and java.io.tmpdir are both on tmpfs or ramfs");
  }

  /** A fresh directory in tmpfs: under {@code /dev/shm}, which Linux mounts as tmpfs. */
  public static Path inTmpfs() {
    Path shm = Path.of("/dev/shm");
    if (!Files.isDirectory(shm) || !"tmpfs".equals(typeOf(shm))) {
      return fail("/dev/shm is not a tmpfs on this machine; the test needs one");
    }
    try {
      return Files.createTempDirectory(shm, "in-tmpfs-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a directory made here, and what is in it (one level deep). */
  public static void delete(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String typeOf(Path p) {
    try {
      return Files.getFileStore(p).type();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
