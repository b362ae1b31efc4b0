package io.github.qemucpr.qmp.command;

import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A PCI device, from {@link QueryPci}. QEMU spells several of these members with underscores
 * ({@code class_info}, {@code qdev_id}, {@code irq_pin}, {@code pci_bridge}); the SDK maps them.
 *
 * @param bus the bus number
 * @param slot the slot
 * @param function the function of the slot
 * @param classInfo the device class
 * @param id the vendor and device ids
 * @param irq the IRQ assigned, if any
 * @param irqPin the IRQ pin; 0 means none
 * @param qdevId the device's {@code id=} on the command line; empty when it has none
 * @param pciBridge the bus behind it, if the device is a PCI bridge
 * @param regions its I/O and memory regions (BARs)
 */
public record PciDevice(
    int bus,
    int slot,
    int function,
    ClassInfo classInfo,
    DeviceId id,
    @Nullable Integer irq,
    int irqPin,
    String qdevId,
    @Nullable Bridge pciBridge,
    List<Region> regions) {

  /** Checks the components and copies the list. */
  public PciDevice {
    Objects.requireNonNull(classInfo, "classInfo");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(qdevId, "qdevId");
    regions = List.copyOf(regions);
  }

  /** This device, then every device behind it if it is a bridge. */
  Stream<PciDevice> selfAndBehind() {
    Stream<PciDevice> behind =
        pciBridge == null
            ? Stream.empty()
            : pciBridge.devices().stream().flatMap(PciDevice::selfAndBehind);
    return Stream.concat(Stream.of(this), behind);
  }

  /**
   * The class of a PCI device ({@code class_info}).
   *
   * @param classCode the {@code class} member: the class code, such as 0x0600 for a host bridge
   * @param desc a description, such as {@code Host bridge}; informational only
   */
  public record ClassInfo(int classCode, @Nullable String desc) {}

  /**
   * The ids of a PCI device.
   *
   * @param vendor the vendor id, such as 0x8086
   * @param device the device id
   * @param subsystemVendor the subsystem vendor id (QEMU 3.1+)
   * @param subsystem the subsystem id (QEMU 3.1+)
   */
  public record DeviceId(
      int vendor, int device, @Nullable Integer subsystemVendor, @Nullable Integer subsystem) {}

  /**
   * An I/O or memory region of a PCI device (a BAR).
   *
   * @param bar the index of the Base Address Register
   * @param type {@code io} or {@code memory}
   * @param address the guest address
   * @param size the size in bytes
   * @param prefetch for memory regions, whether prefetchable
   * @param memType64 for memory regions, whether the BAR is 64-bit ({@code mem_type_64})
   */
  public record Region(
      int bar,
      String type,
      long address,
      long size,
      @Nullable Boolean prefetch,
      @Nullable Boolean memType64) {
    /** Checks the type. */
    public Region {
      Objects.requireNonNull(type, "type");
    }
  }

  /**
   * The bus behind a PCI bridge ({@code pci_bridge}).
   *
   * @param number the primary bus number
   * @param secondary the secondary bus number
   * @param subordinate the highest bus number behind the bridge
   * @param devices the devices behind the bridge
   */
  public record Bridge(int number, int secondary, int subordinate, List<PciDevice> devices) {
    /** Copies the list. */
    public Bridge {
      devices = List.copyOf(devices);
    }
  }
}
