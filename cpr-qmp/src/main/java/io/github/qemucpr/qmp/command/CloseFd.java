package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;

/**
 * {@code closefd}: closes a descriptor passed with {@link GetFd}. Fails if QEMU has no descriptor
 * of that name.
 *
 * @param fdname the name given to {@link GetFd}
 */
public record CloseFd(String fdname) implements QmpCommand<Void> {
  /** Checks the name. */
  public CloseFd {
    Objects.requireNonNull(fdname, "fdname");
  }

  @Override
  public String name() {
    return "closefd";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("fdname", fdname).build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }
}
