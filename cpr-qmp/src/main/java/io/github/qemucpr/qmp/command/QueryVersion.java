package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;

/** {@code query-version}: the QEMU version and the distribution's package string. */
public record QueryVersion() implements QmpCommand<VersionInfo> {
  @Override
  public String name() {
    return "query-version";
  }

  @Override
  public Type replyType() {
    return VersionInfo.class;
  }
}
