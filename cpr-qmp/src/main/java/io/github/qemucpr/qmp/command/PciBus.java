package io.github.qemucpr.qmp.command;

import java.util.List;
import java.util.stream.Stream;

/**
 * A root PCI bus, from {@link QueryPci}.
 *
 * @param bus the bus number
 * @param devices the devices on it; devices behind a bridge are in {@link PciDevice#pciBridge()}
 */
public record PciBus(int bus, List<PciDevice> devices) {
  /** Copies the list; an absent list becomes empty. */
  public PciBus {
    devices = devices == null ? List.of() : List.copyOf(devices);
  }

  /** Every device on this bus and, recursively, behind its bridges. */
  public Stream<PciDevice> allDevices() {
    return devices.stream().flatMap(PciDevice::selfAndBehind);
  }
}
