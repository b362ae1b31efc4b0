package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.api.TestDirs;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest's identity of a RAM file: what tells the file the save left, holding the RAM the
 * save left, from another file or device at the same path.
 */
class RamFileIdentityTest {
  private static final long DAX_RDEV = (252L << 8) | 0; // 252:0, as /dev/dax0.0
  private static final long DEV_NULL_RDEV = (1L << 8) | 3; // 1:3

  @TempDir Path dir;

  private static CprManifest.RamFile savedDax(CprManifest.DaxDevice dax) {
    return CprManifest.RamFile.builder()
        .fileSystem("devtmpfs")
        .device(5)
        .inode(4242)
        .size(0)
        .characterDevice(DAX_RDEV)
        .modifiedAt(Instant.parse("2026-01-01T00:00:00Z"))
        .hostBootId("an-earlier-boot")
        .daxDevice(dax)
        .build();
  }

  /**
   * A sysfs tree in which the character device 1:3 (that of /dev/null, which the test can open) is
   * a device-dax instance named {@code dax0.0}, of {@code size} bytes, whose parent (the NVDIMM
   * namespace's DAX instance) has {@code uuid}.
   */
  private Path sysfsWithDax(long size, String uuid) throws Exception {
    Path sys = dir.resolve("sys");
    Path bus = Files.createDirectories(sys.resolve("bus/dax"));
    Path parent = Files.createDirectories(sys.resolve("devices/platform/ndbus0/region0/dax0.0"));
    Path dev = Files.createDirectories(parent.resolve("dax0.0"));
    Files.createSymbolicLink(dev.resolve("subsystem"), dev.relativize(bus));
    Files.writeString(dev.resolve("size"), size + "\n");
    Files.writeString(parent.resolve("uuid"), uuid + "\n");
    Files.createDirectories(sys.resolve("dev/char"));
    Files.createSymbolicLink(sys.resolve("dev/char/1:3"), sys.resolve("dev/char").relativize(dev));
    return sys;
  }

  /**
   * After a host reboot, any character device at the mem-path used to be accepted by its kind
   * alone, even /dev/null. DAX namespaces can come up renumbered after a reboot (dax0.0 and dax1.0
   * swap with two regions), and the restore would then load the device state onto another device's
   * memory. stat gives a character device no size; sysfs does.
   */
  @Test
  void afterARebootAnyCharacterDeviceOfAnySizeIsAcceptedAsTheSavedDaxDevice() {
    CprManifest.RamFile saved =
        CprManifest.RamFile.builder()
            .fileSystem("devtmpfs")
            .device(5)
            .inode(4242)
            .size(0)
            .characterDevice(DAX_RDEV)
            .modifiedAt(Instant.parse("2026-01-01T00:00:00Z"))
            .hostBootId("an-earlier-boot")
            .build();
    String why = MemoryInspector.differences(saved, "/dev/null", "this-boot");
    assertThat(why).as("/dev/null (1:3) was accepted as the saved DAX device 252:0").isNotNull();
    assertThat(why).contains("is not a DAX device");
  }

  @Test
  void theRealSysfsSaysThatDevNullIsNoDaxDevice() {
    assertThat(MemoryInspector.daxDevice(DEV_NULL_RDEV, Path.of("/sys"))).isNull();
  }

  @Test
  void sysfsGivesADaxDeviceItsNameSizeAndUuid() throws Exception {
    Path sys = sysfsWithDax(2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
    assertThat(MemoryInspector.daxDevice(DEV_NULL_RDEV, sys))
        .isEqualTo(
            new CprManifest.DaxDevice("dax0.0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b"));
  }

  @Test
  void afterARebootTheSameDaxDeviceUnderAnotherNumberIsAccepted() throws Exception {
    Path sys = sysfsWithDax(2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
    CprManifest.RamFile saved =
        savedDax(
            new CprManifest.DaxDevice("dax1.0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b"));
    assertThat(MemoryInspector.differences(saved, "/dev/null", "this-boot", sys)).isNull();
  }

  @Test
  void afterARebootADaxDeviceOfAnotherSizeIsRefused() throws Exception {
    Path sys = sysfsWithDax(4L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
    CprManifest.RamFile saved =
        savedDax(
            new CprManifest.DaxDevice("dax0.0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b"));
    assertThat(MemoryInspector.differences(saved, "/dev/null", "this-boot", sys))
        .contains("of 4294967296 bytes, but the save's was dax0.0 of 2147483648 bytes");
  }

  @Test
  void afterARebootADaxDeviceWithAnotherUuidIsRefused() throws Exception {
    Path sys = sysfsWithDax(2L << 30, "11111111-2222-3333-4444-555555555555");
    CprManifest.RamFile saved =
        savedDax(
            new CprManifest.DaxDevice("dax0.0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b"));
    assertThat(MemoryInspector.differences(saved, "/dev/null", "this-boot", sys))
        .contains("with uuid 11111111-2222-3333-4444-555555555555")
        .contains("8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
  }

  @Test
  void afterARebootADaxDeviceTheManifestDoesNotDescribeIsRefused() throws Exception {
    Path sys = sysfsWithDax(2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
    CprManifest.RamFile saved = savedDax(null);
    assertThat(MemoryInspector.differences(saved, "/dev/null", "this-boot", sys))
        .contains("does not say which DAX device");
  }

  /**
   * sysfs as the kernel lays it out for device-dax on an NVDIMM namespace in devdax mode: {@code
   * /sys/dev/char/MAJ:MIN} leads to the dev_dax instance, a child directory of its parent, the
   * namespace's nd_dax instance, which holds the namespace's {@code uuid}. A dev_dax is on the dax
   * bus and has no class (drivers/dax/bus.c: {@code dev->bus = &dax_bus_type}), and the kernel
   * makes a {@code device} link only for class devices (device_add_class_symlinks): it has none, as
   * no bus device on this host has one ({@code /sys/bus/platform/devices/}).
   */
  private Path kernelSysfsWithDax(String root, String region, long size, String uuid)
      throws Exception {
    Path sys = dir.resolve(root);
    Path bus = Files.createDirectories(sys.resolve("bus/dax"));
    Path ndDax =
        Files.createDirectories(
            sys.resolve("devices/platform/e820_pmem/ndbus0/" + region + "/dax0.0"));
    Path dev = Files.createDirectories(ndDax.resolve("dax0.0"));
    Files.createSymbolicLink(dev.resolve("subsystem"), dev.relativize(bus));
    Files.writeString(dev.resolve("size"), size + "\n");
    Files.writeString(ndDax.resolve("uuid"), uuid + "\n");
    Files.createDirectories(sys.resolve("dev/char"));
    Files.createSymbolicLink(sys.resolve("dev/char/1:3"), sys.resolve("dev/char").relativize(dev));
    return sys;
  }

  /**
   * Review (issue 11): the uuid is read from {@code <dev_dax>/device/uuid}, a link the kernel never
   * makes for a dev_dax, so every real manifest records no uuid, and after a reboot any DAX device
   * of the saved size is accepted: two namespaces of one size that swap numbers (the case the uuid
   * is there for) load the device state onto the other namespace's memory.
   */
  @Test
  void afterARebootAnotherNamespaceOfTheSameSizeIsRefusedAsTheKernelLaysOutSysfs()
      throws Exception {
    Path atSave =
        kernelSysfsWithDax(
            "sys-at-save", "region0", 2L << 30, "8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
    Path afterReboot =
        kernelSysfsWithDax(
            "sys-after-reboot", "region1", 2L << 30, "11111111-2222-3333-4444-555555555555");
    CprManifest.DaxDevice recorded = MemoryInspector.daxDevice(DEV_NULL_RDEV, atSave);
    assertThat(recorded).isNotNull();
    assertThat(
            MemoryInspector.differences(savedDax(recorded), "/dev/null", "this-boot", afterReboot))
        .as(
            "the other namespace (uuid 1111...) accepted as the saved one; the save"
                + " recorded %s",
            recorded)
        .isNotNull();
    assertThat(recorded.uuid()).isEqualTo("8a8a2b2c-1f2e-4d3c-9b8a-7c6d5e4f3a2b");
  }

  // ------------------------------------------------------------------ regular files

  /** 64 pages, of which a few hold data, as guest RAM. */
  private Path ramWithData() throws Exception {
    Path ram = dir.resolve("vm.ram");
    byte[] bytes = new byte[64 * MemoryInspector.SAMPLE_PAGE_SIZE];
    for (int page : new int[] {0, 5, 17, 40, 63}) {
      bytes[page * MemoryInspector.SAMPLE_PAGE_SIZE + 100] = (byte) (page + 1);
    }
    Files.write(ram, bytes);
    return ram;
  }

  private static Object inode(Path file) throws Exception {
    Map<String, Object> a = Files.readAttributes(file, "unix:ino");
    return a.get("ino");
  }

  @Test
  void theSampleHoldsOnlyPagesWithData() throws Exception {
    Path ram = ramWithData();
    CprManifest.ContentSample sample = MemoryInspector.sample(ram, Files.size(ram));
    assertThat(sample).isNotNull();
    assertThat(sample.offsets()).containsExactly(0L, 5L * 4096, 17L * 4096, 40L * 4096, 63L * 4096);
    Path zeros = Files.write(dir.resolve("zeros"), new byte[64 * 4096]);
    assertThat(MemoryInspector.sample(zeros, Files.size(zeros)))
        .as("pages of zeros cannot tell a new file from the old one")
        .isNull();
  }

  @Test
  void theSameFileRewrittenWithTheSameContentsIsAccepted() throws Exception {
    Path ram = ramWithData();
    CprManifest.RamFile saved = MemoryInspector.identify(ram);
    assertThat(saved).isNotNull();
    assertThat(saved.contentSample()).isNotNull();
    // What prealloc=on does: every page written back as it was. The time moves on.
    byte[] same = Files.readAllBytes(ram);
    try (FileChannel ch = FileChannel.open(ram, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(same), 0);
    }
    Files.setLastModifiedTime(ram, FileTime.from(saved.modifiedAt().plusSeconds(7)));
    assertThat(MemoryInspector.differences(saved, ram.toString(), saved.hostBootId())).isNull();
  }

  @Test
  void theSameInodeZeroFilledIsRefused() throws Exception {
    Path ram = ramWithData();
    CprManifest.RamFile saved = MemoryInspector.identify(ram);
    Object inode = inode(ram);
    // As a disk gives a file created again the inode just freed: same inode, size and boot.
    try (FileChannel ch = FileChannel.open(ram, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate((int) ch.size()), 0);
    }
    Files.setLastModifiedTime(ram, FileTime.from(saved.modifiedAt()));
    assertThat(inode(ram)).isEqualTo(inode);
    assertThat(MemoryInspector.differences(saved, ram.toString(), saved.hostBootId()))
        .contains("is not the file the save left there")
        .contains("the 5 pages the save sampled hold other content now");
  }

  @Test
  void withoutASampleAFileOnADiskStillFallsBackToItsModificationTime() throws Exception {
    Path disk = TestDirs.onDisk();
    try {
      Path ram = disk.resolve("vm.ram");
      Files.write(ram, new byte[64 * MemoryInspector.SAMPLE_PAGE_SIZE]);
      CprManifest.RamFile now = MemoryInspector.identify(ram);
      assertThat(MemoryInspector.isVolatile(now.fileSystem())).isFalse();
      // A manifest from before the sample, or a file the save could not read.
      CprManifest.RamFile saved =
          CprManifest.RamFile.builder()
              .fileSystem(now.fileSystem())
              .device(now.device())
              .inode(now.inode())
              .size(now.size())
              .modifiedAt(now.modifiedAt().minusSeconds(3))
              .hostBootId(now.hostBootId())
              .build();
      assertThat(MemoryInspector.differences(saved, ram.toString(), now.hostBootId()))
          .contains("inode")
          .contains("modified since");
    } finally {
      TestDirs.delete(disk);
    }
  }

  @Test
  void withoutASampleAFileInTmpfsIsKnownByItsInode() throws Exception {
    Path shm = TestDirs.inTmpfs();
    Path ram = Files.createFile(shm.resolve("ram-identity.img"));
    try {
      CprManifest.RamFile now = MemoryInspector.identify(ram);
      CprManifest.RamFile saved =
          CprManifest.RamFile.builder()
              .fileSystem("tmpfs")
              .device(now.device())
              .inode(now.inode())
              .size(now.size())
              .modifiedAt(now.modifiedAt().minusSeconds(3))
              .hostBootId(now.hostBootId())
              .build();
      assertThat(MemoryInspector.differences(saved, ram.toString(), now.hostBootId())).isNull();
    } finally {
      TestDirs.delete(shm);
    }
  }
}
