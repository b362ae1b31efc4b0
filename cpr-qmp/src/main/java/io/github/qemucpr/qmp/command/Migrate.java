package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code migrate}: starts an outgoing migration. The reply comes as soon as the migration has
 * started; wait for the {@code MIGRATION} event {@code completed} or {@code failed} (with the
 * {@link MigrationCapability#EVENTS} capability on), registering the wait before sending this.
 *
 * <pre>{@code
 * try (EventWait<MigrationEvent> done =
 *     qmp.expectEvent(MigrationEvent.class, e -> e.status().isFinished())) {
 *   qmp.execute(Migrate.toFile(Path.of("/var/lib/vm1/state")));
 *   MigrationEvent end = done.await(Duration.ofMinutes(5));
 * }
 * }</pre>
 *
 * <p>Prefer the {@code channels} form ({@link #toFile(Path)}, {@link #toChannels(List)}): the
 * {@code file:} URI form misreads a path that holds {@code ,offset=}. This command never sends
 * {@code detach}, which QEMU ignores and QEMU 11 removes.
 *
 * @param uri the destination as a URI, such as {@code unix:/run/vm1/migrate.sock}; null in the
 *     channels form
 * @param channels the channels; empty in the URI form
 */
public record Migrate(@Nullable String uri, List<MigrationChannel> channels)
    implements QmpCommand<Void> {

  /** Checks that exactly one form is used, and copies the list. */
  public Migrate {
    channels = List.copyOf(channels);
    checkOneForm(uri, channels);
  }

  /** Migrates to a file, from offset 0, in the channels form. */
  public static Migrate toFile(Path file) {
    return toChannels(List.of(MigrationChannel.main(MigrationAddress.file(file))));
  }

  /**
   * Migrates to a file from an offset, in the channels form; the file name may be {@code
   * /dev/fdset/N} for a descriptor passed with {@link AddFd}.
   */
  public static Migrate toFile(String filename, long offset) {
    return toChannels(List.of(MigrationChannel.main(MigrationAddress.file(filename, offset))));
  }

  /** Migrates over these channels; one must be the main channel. */
  public static Migrate toChannels(List<MigrationChannel> channels) {
    return new Migrate(null, channels);
  }

  /** Migrates to a URI, such as {@code unix:/run/vm1/migrate.sock} or {@code exec:cat > f}. */
  public static Migrate toUri(String uri) {
    return new Migrate(Objects.requireNonNull(uri, "uri"), List.of());
  }

  @Override
  public String name() {
    return "migrate";
  }

  @Override
  public Map<String, ?> arguments() {
    return channelArguments(uri, channels).build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }

  static void checkOneForm(@Nullable String uri, List<MigrationChannel> channels) {
    if ((uri == null) == channels.isEmpty()) {
      throw new IllegalArgumentException(
          "give either a uri or channels, not both and not neither: uri="
              + uri
              + ", channels="
              + channels);
    }
    if (uri != null && uri.isEmpty()) {
      throw new IllegalArgumentException("uri must not be empty");
    }
    if (!channels.isEmpty()
        && channels.stream().noneMatch(c -> c.channelType().equals(MigrationChannelType.MAIN))) {
      throw new IllegalArgumentException("channels need a main channel: " + channels);
    }
  }

  static Args channelArguments(@Nullable String uri, List<MigrationChannel> channels) {
    return Args.builder()
        .putIfNotNull("uri", uri)
        .putIfNotNull(
            "channels",
            channels.isEmpty() ? null : channels.stream().map(MigrationChannel::toWire).toList());
  }
}
