package io.github.qemucpr.qmp.command;

import java.util.Map;
import java.util.Objects;

/**
 * One channel of a migration, for the {@code channels} form of {@link Migrate} and {@link
 * MigrateIncoming}: {@code {"channel-type": "main", "addr": {...}}}.
 *
 * @param channelType the channel's role: {@link MigrationChannelType#MAIN}, or {@link
 *     MigrationChannelType#CPR} for cpr-transfer's state channel
 * @param address where it reads or writes
 */
public record MigrationChannel(MigrationChannelType channelType, MigrationAddress address) {

  /** Checks the components. */
  public MigrationChannel {
    Objects.requireNonNull(channelType, "channelType");
    Objects.requireNonNull(address, "address");
  }

  /** The main channel. */
  public static MigrationChannel main(MigrationAddress address) {
    return new MigrationChannel(MigrationChannelType.MAIN, address);
  }

  /** The CPR state channel of the cpr-transfer mode. */
  public static MigrationChannel cpr(MigrationAddress address) {
    return new MigrationChannel(MigrationChannelType.CPR, address);
  }

  /** The channel as QMP spells it. */
  Map<String, Object> toWire() {
    Map<String, Object> addr;
    if (address instanceof MigrationAddress.FileAddress f) {
      addr =
          Args.builder()
              .put("transport", "file")
              .put("filename", f.filename())
              .put("offset", f.offset())
              .build();
    } else if (address instanceof MigrationAddress.UnixSocketAddress u) {
      addr =
          Args.builder()
              .put("transport", "socket")
              .put("type", "unix")
              .put("path", u.path())
              .build();
    } else {
      throw new IllegalStateException("unknown address type: " + address);
    }
    return Args.builder().put("channel-type", channelType.wireName()).put("addr", addr).build();
  }
}
