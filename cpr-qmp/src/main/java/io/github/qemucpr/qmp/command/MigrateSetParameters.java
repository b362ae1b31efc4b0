package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code migrate-set-parameters}: changes migration parameters. Only the parameters that are set
 * (not null) are sent; the others keep their values.
 *
 * <pre>{@code
 * qmp.execute(MigrateSetParameters.ofMode(MigrationMode.CPR_REBOOT));
 * qmp.execute(MigrateSetParameters.builder().multifdChannels(4).downtimeLimit(500).build());
 * }</pre>
 *
 * @param mode the migration mode
 * @param multifdChannels the number of multifd channels, 1 to 255
 * @param maxBandwidth the bandwidth limit in bytes per second
 * @param availSwitchoverBandwidth the bandwidth to assume for the switchover, in bytes per second;
 *     0 means measured
 * @param downtimeLimit the allowed downtime in milliseconds
 * @param directIo whether a file migration uses O_DIRECT
 * @param cprExecCommand the command line a {@code cpr-exec} migration execs (QEMU 10.2+)
 */
public record MigrateSetParameters(
    @Nullable MigrationMode mode,
    @Nullable Integer multifdChannels,
    @Nullable Long maxBandwidth,
    @Nullable Long availSwitchoverBandwidth,
    @Nullable Long downtimeLimit,
    @Nullable Boolean directIo,
    @Nullable List<String> cprExecCommand)
    implements QmpCommand<Void> {

  /** Checks the values that are set. */
  public MigrateSetParameters {
    if (multifdChannels != null && (multifdChannels < 1 || multifdChannels > 255)) {
      throw new IllegalArgumentException("multifdChannels must be 1..255: " + multifdChannels);
    }
    requireNotNegative("maxBandwidth", maxBandwidth);
    requireNotNegative("availSwitchoverBandwidth", availSwitchoverBandwidth);
    requireNotNegative("downtimeLimit", downtimeLimit);
    if (cprExecCommand != null) {
      cprExecCommand = List.copyOf(cprExecCommand);
      if (cprExecCommand.isEmpty()) {
        throw new IllegalArgumentException("cprExecCommand must not be empty");
      }
    }
  }

  /** Sets the mode only. */
  public static MigrateSetParameters ofMode(MigrationMode mode) {
    return builder().mode(mode).build();
  }

  /** A builder; each parameter may be set once. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "migrate-set-parameters";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder()
        .putIfNotNull("mode", mode == null ? null : mode.wireName())
        .putIfNotNull("multifd-channels", multifdChannels)
        .putIfNotNull("max-bandwidth", maxBandwidth)
        .putIfNotNull("avail-switchover-bandwidth", availSwitchoverBandwidth)
        .putIfNotNull("downtime-limit", downtimeLimit)
        .putIfNotNull("direct-io", directIo)
        .putIfNotNull("cpr-exec-command", cprExecCommand)
        .build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }

  private static void requireNotNegative(String name, @Nullable Long value) {
    if (value != null && value < 0) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
  }

  /** Builds a {@link MigrateSetParameters}. Not thread-safe. */
  public static final class Builder {
    private @Nullable MigrationMode mode;
    private @Nullable Integer multifdChannels;
    private @Nullable Long maxBandwidth;
    private @Nullable Long availSwitchoverBandwidth;
    private @Nullable Long downtimeLimit;
    private @Nullable Boolean directIo;
    private @Nullable List<String> cprExecCommand;

    private Builder() {}

    /** The migration mode. */
    public Builder mode(MigrationMode mode) {
      requireUnset(this.mode, "mode");
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** The number of multifd channels, 1 to 255. */
    public Builder multifdChannels(int channels) {
      requireUnset(this.multifdChannels, "multifdChannels");
      if (channels < 1 || channels > 255) {
        throw new IllegalArgumentException("multifdChannels must be 1..255: " + channels);
      }
      this.multifdChannels = channels;
      return this;
    }

    /** The bandwidth limit in bytes per second. */
    public Builder maxBandwidth(long bytesPerSecond) {
      requireUnset(this.maxBandwidth, "maxBandwidth");
      this.maxBandwidth = notNegative("maxBandwidth", bytesPerSecond);
      return this;
    }

    /** The bandwidth to assume for the switchover, in bytes per second; 0 means measured. */
    public Builder availSwitchoverBandwidth(long bytesPerSecond) {
      requireUnset(this.availSwitchoverBandwidth, "availSwitchoverBandwidth");
      this.availSwitchoverBandwidth = notNegative("availSwitchoverBandwidth", bytesPerSecond);
      return this;
    }

    /** The allowed downtime in milliseconds. */
    public Builder downtimeLimit(long millis) {
      requireUnset(this.downtimeLimit, "downtimeLimit");
      this.downtimeLimit = notNegative("downtimeLimit", millis);
      return this;
    }

    /** Whether a file migration uses O_DIRECT. */
    public Builder directIo(boolean directIo) {
      requireUnset(this.directIo, "directIo");
      this.directIo = directIo;
      return this;
    }

    /** The command line a {@code cpr-exec} migration execs (QEMU 10.2+). */
    public Builder cprExecCommand(List<String> command) {
      requireUnset(this.cprExecCommand, "cprExecCommand");
      Objects.requireNonNull(command, "cprExecCommand");
      if (command.isEmpty()) {
        throw new IllegalArgumentException("cprExecCommand must not be empty");
      }
      this.cprExecCommand = List.copyOf(command);
      return this;
    }

    /** The command, with the parameters set so far. */
    public MigrateSetParameters build() {
      return new MigrateSetParameters(
          mode,
          multifdChannels,
          maxBandwidth,
          availSwitchoverBandwidth,
          downtimeLimit,
          directIo,
          cprExecCommand);
    }

    private static void requireUnset(@Nullable Object current, String option) {
      if (current != null) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    private static long notNegative(String option, long value) {
      if (value < 0) {
        throw new IllegalArgumentException(option + " must not be negative: " + value);
      }
      return value;
    }
  }
}
