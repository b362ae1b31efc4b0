package io.github.qemucpr.qmp;

import java.io.FileDescriptor;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A QMP command as a typed, immutable value: its name, its arguments, and the type its reply
 * decodes to. The records in {@link io.github.qemucpr.qmp.command} implement it; a caller may add
 * its own the same way.
 *
 * <pre>{@code
 * RunStatus status = qmp.execute(new QueryStatus());
 * }</pre>
 *
 * @param <R> the decoded reply; {@link Void} for commands whose reply is the empty object
 */
public interface QmpCommand<R extends @Nullable Object> {

  /** The command's name on the wire, for example {@code query-status}. */
  String name();

  /**
   * The {@code arguments} object: plain values (strings, numbers, booleans, lists, maps) or the
   * SDK's own value types. An empty map sends no {@code arguments} member at all.
   */
  default Map<String, ?> arguments() {
    return Map.of();
  }

  /**
   * The type of the {@code return} member: a class, or a parameterized type such as {@code
   * List<MemoryBackend>}. Decoding ignores members it does not know.
   */
  Type replyType();

  /**
   * File descriptors to pass with this command over the Unix socket (SCM_RIGHTS), as {@code getfd}
   * and {@code add-fd} need. Empty for nearly every command.
   */
  default List<FileDescriptor> fileDescriptors() {
    return List.of();
  }
}
