package io.github.qemucpr.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks, once per binary and JVM, that QEMU is installed and new enough. */
final class QemuBinary {
  private static final Pattern VERSION = Pattern.compile("version (\\d+)\\.(\\d+)\\.(\\d+)");
  private static final Map<String, String> CHECKED = new HashMap<>();

  private QemuBinary() {}

  /** Returns the version, such as {@code 10.0.2}, or fails naming the install command. */
  static synchronized String requireAtLeast10(String binary) {
    String known = CHECKED.get(binary);
    if (known != null) {
      return known;
    }
    String output;
    try {
      Process p = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new QemuLaunchException(binary + " --version did not finish within 30 s", null);
      }
    } catch (IOException e) {
      throw new QemuLaunchException(
          binary
              + " was not found ("
              + e.getMessage()
              + "). QEMU 10 is needed; install it with: "
              + QemuLauncher.INSTALL_COMMAND,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuLaunchException("interrupted while checking the QEMU version", e);
    }
    Matcher m = VERSION.matcher(output);
    if (!m.find()) {
      throw new QemuLaunchException(
          "cannot read the version of "
              + binary
              + " from: "
              + output.strip()
              + ". QEMU 10 is needed; install it with: "
              + QemuLauncher.INSTALL_COMMAND,
          null);
    }
    if (Integer.parseInt(m.group(1)) < 10) {
      throw new QemuLaunchException(
          binary
              + " is QEMU "
              + m.group(1)
              + "."
              + m.group(2)
              + "."
              + m.group(3)
              + ", but QEMU 10.0 or newer is needed. Install it with: "
              + QemuLauncher.INSTALL_COMMAND,
          null);
    }
    String version = m.group(1) + "." + m.group(2) + "." + m.group(3);
    CHECKED.put(binary, version);
    return version;
  }
}
