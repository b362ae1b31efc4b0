package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.SuspendPolicy;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Options that several subcommands share, as picocli mixins. */
final class CommonOptions {
  private CommonOptions() {}

  /** {@code --qmp SOCKET}. */
  static final class Qmp {
    @Option(
        names = "--qmp",
        paramLabel = "SOCKET",
        required = true,
        description = "QEMU's QMP socket, as given to -qmp unix:SOCKET,server=on,wait=off.")
    Path socket = Path.of("");
  }

  /** {@code --json}. */
  static final class Json {
    @Option(
        names = "--json",
        description = "Print the final report as one JSON object (progress stays on stderr).")
    boolean json;
  }

  /** {@code --state FILE}, made absolute against the working directory. */
  static final class State {
    @Option(
        names = "--state",
        paramLabel = "FILE",
        required = true,
        description = "The state file; its manifest is FILE.json beside it.")
    Path file = Path.of("");

    Path absolute() {
      return file.toAbsolutePath().normalize();
    }
  }

  /** {@code --timeout SECONDS}. */
  static final class Timeout {
    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        converter = PositiveSeconds.class,
        description =
            "Give up after this many seconds (default: 600); a failed save is rolled" + " back.")
    long seconds;
  }

  /** Parses a whole number of seconds above zero. */
  static final class PositiveSeconds implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      long seconds;
      try {
        seconds = Long.parseLong(value.strip());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a whole number of seconds");
      }
      if (seconds <= 0 || seconds > 86_400) {
        throw new TypeConversionException("must be 1 to 86400 seconds, not " + value);
      }
      return seconds;
    }
  }

  /** Parses {@code auto}, {@code always} or {@code never}. */
  static final class SuspendPolicyConverter implements ITypeConverter<SuspendPolicy> {
    @Override
    public SuspendPolicy convert(String value) {
      try {
        return SuspendPolicy.valueOf(value.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("'" + value + "' is not one of auto, always, never");
      }
    }
  }
}
