package io.github.qemucpr.examples.bench;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryQmpSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the cpr-exec cycles need from the QEMU under test: whether it has cpr-exec at all (read from
 * its own schema, never from a version number), and the command line it runs, which the exec
 * repeats.
 */
final class ExecSupport {
  private ExecSupport() {}

  /**
   * Why the running QEMU cannot run cpr-exec, or null when it can: the {@code mode} values of its
   * {@code migrate-set-parameters}, and its version as its greeting gives it.
   */
  static @Nullable String absence(QmpClient qmp) {
    List<String> modes =
        qmp.execute(new QueryQmpSchema())
            .enumValuesOfArgument("migrate-set-parameters", "mode")
            .orElse(List.of());
    return absence(modes, qmp.greeting().version().toString());
  }

  /** {@link #absence(QmpClient)} on facts already read. */
  static @Nullable String absence(List<String> modes, String version) {
    if (modes.contains("cpr-exec")) {
      return null;
    }
    return "QEMU "
        + version
        + " has no cpr-exec (its migrate-set-parameters mode values: "
        + (modes.isEmpty() ? "none" : String.join(", ", modes))
        + "); cpr-exec needs QEMU 10.2 or later";
  }

  /**
   * The command line of the process {@code pid} as {@code /proc/PID/cmdline} gives it (binary
   * first, as the process sees it: a QEMU in a chroot names the chroot's binary), with every {@code
   * -incoming} and its value left out, and the binary made absolute through {@code /proc/PID/exe}
   * when it is not.
   */
  static List<String> commandLine(long pid) throws IOException {
    List<String> argv =
        withoutIncoming(parseCmdline(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))));
    if (argv.isEmpty()) {
      throw new IOException("/proc/" + pid + "/cmdline is empty: has the process exited?");
    }
    if (!argv.get(0).startsWith("/")) {
      argv.set(0, Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString());
    }
    return argv;
  }

  /** The NUL-terminated arguments of a {@code /proc/PID/cmdline}. */
  static List<String> parseCmdline(byte[] raw) {
    List<String> args = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == 0) {
        args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < raw.length) { // a last argument without its NUL
      args.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
    }
    return args;
  }

  /**
   * {@code argv} without any {@code -incoming VALUE} (or {@code --incoming}, or the {@code
   * -incoming=VALUE} form): a QEMU started to load a state has one or more.
   */
  static List<String> withoutIncoming(List<String> argv) {
    List<String> out = new ArrayList<>(argv.size());
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals("-incoming") || a.equals("--incoming")) {
        i++; // and its value
        continue;
      }
      if (a.startsWith("-incoming=") || a.startsWith("--incoming=")) {
        continue;
      }
      out.add(a);
    }
    return out;
  }
}
