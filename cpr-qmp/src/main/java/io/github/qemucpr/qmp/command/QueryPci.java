package io.github.qemucpr.qmp.command;

import io.github.qemucpr.qmp.QmpCommand;
import java.lang.reflect.Type;
import java.util.List;

/** {@code query-pci}: the guest's PCI buses and the devices on them. */
public record QueryPci() implements QmpCommand<List<PciBus>> {
  @Override
  public String name() {
    return "query-pci";
  }

  @Override
  public Type replyType() {
    return ReplyTypes.listOf(PciBus.class);
  }
}
