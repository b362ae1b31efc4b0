package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.io.FileDescriptor;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code add-fd}: passes a file descriptor over the Unix socket (SCM_RIGHTS) into an fd set, so
 * that a file name {@code /dev/fdset/N} opens it, as in {@link Migrate#toFile(String, long)}. Needs
 * a Unix socket connection. The reply says which set and which descriptor number QEMU used.
 *
 * @param fdsetId the set to add to; null lets QEMU pick a new one
 * @param opaque a free-form note kept with the descriptor and shown by {@link QueryFdsets}
 * @param fd the descriptor to pass; it stays open on this side
 */
public record AddFd(@Nullable Long fdsetId, @Nullable String opaque, FileDescriptor fd)
    implements QmpCommand<AddFdInfo> {

  /** Checks the components. */
  public AddFd {
    Objects.requireNonNull(fd, "fd");
    if (!fd.valid()) {
      throw new IllegalArgumentException("the file descriptor is not valid");
    }
    if (fdsetId != null && fdsetId < 0) {
      throw new IllegalArgumentException("fdsetId must not be negative: " + fdsetId);
    }
  }

  /** Adds the descriptor to a new set. */
  public static AddFd of(FileDescriptor fd) {
    return new AddFd(null, null, fd);
  }

  @Override
  public String name() {
    return "add-fd";
  }

  @Override
  public Map<String, ?> arguments() {
    return Args.builder().putIfNotNull("fdset-id", fdsetId).putIfNotNull("opaque", opaque).build();
  }

  @Override
  public Type replyType() {
    return AddFdInfo.class;
  }

  @Override
  public List<FileDescriptor> fileDescriptors() {
    return List.of(fd);
  }
}
