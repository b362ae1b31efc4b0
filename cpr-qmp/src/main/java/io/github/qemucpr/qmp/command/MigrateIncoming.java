package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code migrate-incoming}: starts loading an incoming migration, on a QEMU started with {@code
 * -incoming defer}. Set the same mode and capabilities as the source first. Wait for the {@code
 * MIGRATION} event {@code completed} or {@code failed}.
 *
 * <pre>{@code
 * qmp.execute(MigrateIncoming.fromFile(Path.of("/var/lib/vm1/state")).withExitOnError(false));
 * }</pre>
 *
 * @param uri the source as a URI; null in the channels form
 * @param channels the channels; empty in the URI form
 * @param exitOnError whether QEMU exits when loading fails; {@code false} (QEMU 9.1+) keeps it
 *     alive with {@code error-desc} in {@code query-migrate}. Null leaves QEMU's default (exit).
 */
public record MigrateIncoming(
    @Nullable String uri, List<MigrationChannel> channels, @Nullable Boolean exitOnError)
    implements QmpCommand<Void> {

  /** Checks that exactly one form is used, and copies the list. */
  public MigrateIncoming {
    channels = List.copyOf(channels);
    Migrate.checkOneForm(uri, channels);
  }

  /** Loads from a file, from offset 0, in the channels form. */
  public static MigrateIncoming fromFile(Path file) {
    return fromChannels(List.of(MigrationChannel.main(MigrationAddress.file(file))));
  }

  /** Loads from a file from an offset; the name may be {@code /dev/fdset/N}. */
  public static MigrateIncoming fromFile(String filename, long offset) {
    return fromChannels(List.of(MigrationChannel.main(MigrationAddress.file(filename, offset))));
  }

  /** Loads over these channels; one must be the main channel. */
  public static MigrateIncoming fromChannels(List<MigrationChannel> channels) {
    return new MigrateIncoming(null, channels, null);
  }

  /** Loads from a URI, such as {@code unix:/run/vm1/migrate.sock}. */
  public static MigrateIncoming fromUri(String uri) {
    return new MigrateIncoming(Objects.requireNonNull(uri, "uri"), List.of(), null);
  }

  /** The same command with {@code exit-on-error} set. */
  public MigrateIncoming withExitOnError(boolean exitOnError) {
    return new MigrateIncoming(uri, channels, exitOnError);
  }

  @Override
  public String name() {
    return "migrate-incoming";
  }

  @Override
  public Map<String, ?> arguments() {
    return Migrate.channelArguments(uri, channels)
        .putIfNotNull("exit-on-error", exitOnError)
        .build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}
