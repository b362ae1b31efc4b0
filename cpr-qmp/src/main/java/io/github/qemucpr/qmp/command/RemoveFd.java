package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code remove-fd}: removes one descriptor, or a whole set, added with {@link AddFd}. QEMU closes
 * them once nothing uses them.
 *
 * @param fdsetId the set
 * @param fd the descriptor number inside QEMU (from {@link AddFdInfo#fd()}); null removes the set
 */
public record RemoveFd(long fdsetId, @Nullable Long fd) implements QmpCommand<Void> {
  /** Checks the components. */
  public RemoveFd {
    if (fdsetId < 0) {
      throw new IllegalArgumentException("fdsetId must not be negative: " + fdsetId);
    }
  }

  /** Removes every descriptor of the set. */
  public static RemoveFd set(long fdsetId) {
    return new RemoveFd(fdsetId, null);
  }

  @Override
  public String name() {
    return "remove-fd";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("fdset-id", fdsetId).putIfNotNull("fd", fd).build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}
