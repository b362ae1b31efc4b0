package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.io.FileDescriptor;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code getfd}: passes a file descriptor to QEMU over the Unix socket (SCM_RIGHTS) and names it,
 * for commands that take an fd name. Needs a Unix socket connection. QEMU holds a duplicate: the
 * caller may close its own descriptor after the reply; {@link CloseFd} releases QEMU's.
 *
 * @param fdname the name QEMU will know the descriptor by
 * @param fd the descriptor to pass; it stays open on this side
 */
public record GetFd(String fdname, FileDescriptor fd) implements QmpCommand<Void> {
  /** Checks the components. */
  public GetFd {
    Objects.requireNonNull(fdname, "fdname");
    Objects.requireNonNull(fd, "fd");
    if (!fd.valid()) {
      throw new IllegalArgumentException("the file descriptor for " + fdname + " is not valid");
    }
  }

  @Override
  public String name() {
    return "getfd";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().put("fdname", fdname).build();
  }

  @Override
  public Type replyType() {
    return Void.class;
  }

  @Override
  public List<FileDescriptor> fileDescriptors() {
    return List.of(fd);
  }
}
