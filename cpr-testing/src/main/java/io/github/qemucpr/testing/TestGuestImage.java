package io.github.qemucpr.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The little Linux test guest, for tests and demos that boot a real guest (pass its files to {@code
 * QemuLauncher.Builder.testGuest(kernel, initramfs)}): a Debian 12 kernel and an initramfs whose
 * {@code /init} starts {@code qemu-ga} and prints {@code boot_id <uuid>} once and {@code heartbeat
 * N} every second on the serial console. {@code scripts/build-test-guest.sh} builds it into a cache
 * outside git.
 *
 * @param kernel the kernel image
 * @param initramfs the initramfs
 */
public record TestGuestImage(Path kernel, Path initramfs) {

  /**
   * The cached image, built first with {@code scripts/build-test-guest.sh} (found by walking up
   * from the working directory) when the cache is empty. The cache is {@code $QEMU_CPR_GUEST_DIR},
   * or {@code ~/.cache/qemu-cpr/guest}.
   *
   * @throws IllegalStateException if the script is missing or fails
   */
  public static synchronized TestGuestImage locateOrBuild() {
    String env = System.getenv("QEMU_CPR_GUEST_DIR");
    Path dir =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "qemu-cpr", "guest");
    TestGuestImage image = new TestGuestImage(dir.resolve("vmlinuz"), dir.resolve("initramfs.img"));
    if (!image.isComplete()) {
      build(findScript());
    }
    if (!image.isComplete()) {
      throw new IllegalStateException(
          "scripts/build-test-guest.sh did not produce "
              + image.kernel
              + " and "
              + image.initramfs);
    }
    return image;
  }

  private boolean isComplete() {
    try {
      return Files.isRegularFile(kernel)
          && Files.size(kernel) > 0
          && Files.isRegularFile(initramfs)
          && Files.size(initramfs) > 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path findScript() {
    Path start = Path.of("").toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      Path script = p.resolve("scripts/build-test-guest.sh");
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    throw new IllegalStateException(
        "the test guest is not built, and no scripts/build-test-guest.sh was found above "
            + start
            + ": run it from a checkout of qemu-cpr-java");
  }

  private static void build(Path script) {
    try {
      Path log = Files.createTempFile("build-test-guest", ".log");
      try {
        Process p =
            new ProcessBuilder("bash", script.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new IllegalStateException(script + " did not finish within 20 minutes");
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException(
              script
                  + " failed with status "
                  + p.exitValue()
                  + ":\n"
                  + Files.readString(log, StandardCharsets.UTF_8));
        }
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the test guest", e);
    }
  }
}
