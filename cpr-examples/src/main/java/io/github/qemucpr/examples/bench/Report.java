package io.github.qemucpr.examples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** Formatting for the report, and the facts about the machine it was measured on. */
final class Report {
  private Report() {}

  /** {@code a / b} with two decimals, or a dash. */
  static String ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f", a / b);
  }

  /** A size in KiB or MiB. */
  static String kib(long bytes) {
    if (bytes >= 10L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }

  /** The messages of an exception and its causes, joined. */
  static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (b.length() > 0) {
        b.append(" <- ");
      }
      b.append(c.getMessage() != null ? c.getMessage().strip() : c.getClass().getSimpleName());
      if (c.getCause() == c) {
        break;
      }
    }
    String s = b.toString().replace('\n', ' ').replace('|', '/');
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }

  /** The machine, the QEMU and the JDK, as a markdown list. */
  static String machine() {
    StringBuilder md = new StringBuilder();
    md.append("- CPU: ")
        .append(firstMatch(Path.of("/proc/cpuinfo"), "model name"))
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores (nproc)\n");
    md.append("- RAM: ").append(firstMatch(Path.of("/proc/meminfo"), "MemTotal")).append('\n');
    md.append("- Linux ")
        .append(read(Path.of("/proc/sys/kernel/osrelease")))
        .append("; `/dev/shm` and the state files' disk as found\n");
    md.append("- ").append(command("qemu-system-x86_64", "--version")).append(", TCG\n");
    md.append("- JDK: ")
        .append(System.getProperty("java.vm.vendor"))
        .append(' ')
        .append(System.getProperty("java.vm.name"))
        .append(' ')
        .append(System.getProperty("java.runtime.version"))
        .append('\n');
    md.append("- Python: ")
        .append(
            command(
                Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3",
                "--version"))
        .append('\n');
    return md.toString();
  }

  /** The version of the {@code qemu-system-x86_64} on {@code PATH}, such as {@code 11.1.3}. */
  static String qemuVersion() {
    return qemuVersion(command("qemu-system-x86_64", "--version"));
  }

  /**
   * The version in the first line of {@code qemu-system-x86_64 --version} ("QEMU emulator version
   * 11.1.3 (Debian ...)"), or "unknown".
   */
  static String qemuVersion(String versionLine) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("QEMU emulator version (\\d+\\.\\d+(?:\\.\\d+)?)")
            .matcher(versionLine);
    return m.find() ? m.group(1) : "unknown";
  }

  /** The load average now, a hint at how busy the shared machine was. */
  static String loadAverage() {
    String s = read(Path.of("/proc/loadavg"));
    String[] parts = s.split(" ");
    return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : s;
  }

  private static String firstMatch(Path file, String key) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "unknown";
  }

  private static String read(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String command(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      return out.lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      return command[0] + ": not found";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return command[0] + ": interrupted";
    }
  }
}
