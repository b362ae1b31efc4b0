package io.github.qemucpr.qga;

import java.lang.reflect.Type;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A guest agent command as a typed, immutable value: its name, its arguments, the type its reply
 * decodes to, and whether the agent answers it at all. The records in {@link
 * io.github.qemucpr.qga.command} implement it; a caller may add its own the same way.
 *
 * <pre>{@code
 * OsInfo os = qga.execute(new GuestGetOsInfo());
 * }</pre>
 *
 * @param <R> the decoded reply; {@link Void} for commands whose reply is the empty object or that
 *     send no reply
 */
public interface GuestAgentCommand<R extends @Nullable Object> {

  /** The command's name on the wire, for example {@code guest-get-osinfo}. */
  String name();

  /**
   * The {@code arguments} object: plain values (strings, numbers, booleans, lists, maps). An empty
   * map sends no {@code arguments} member at all.
   */
  default Map<String, ?> arguments() {
    return Map.of();
  }

  /**
   * The type of the {@code return} member: a class, or a parameterized type. Decoding ignores
   * members it does not know.
   */
  Type replyType();

  /**
   * Whether the agent answers the command when it succeeds. {@code false} for {@code
   * guest-suspend-ram}, {@code guest-suspend-disk}, {@code guest-suspend-hybrid} and {@code
   * guest-shutdown} ({@code success-response: false} in the agent's schema): the client then
   * returns once the command is accepted, see {@link GuestAgentClient#suspendRam()}.
   */
  default boolean sendsReply() {
    return true;
  }
}
