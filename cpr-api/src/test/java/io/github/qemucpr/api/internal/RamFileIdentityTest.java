package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprManifest;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Issue 11 review: false acceptances of the manifest's RAM-file identity. */
class ReviewRamIdentityTest {

  /**
   * After a host reboot, a RAM file recorded as a character device (a DAX device) is accepted by
   * its kind alone: any character device at the mem-path passes, even /dev/null. DAX namespaces
   * can come up renumbered after a reboot (dax0.0 and dax1.0 swap with two regions), and the
   * restore would then load the device state onto another device's memory. stat gives a character
   * device no size, so nothing else is compared; the namespace's uuid and size (sysfs,
   * /sys/dev/char/MAJ:MIN/device/...) stay comparable across boots.
   */
  @Test
  void afterARebootAnyCharacterDeviceOfAnySizeIsAcceptedAsTheSavedDaxDevice() {
    long daxRdev = (252L << 8) | 0; // 252:0, as /dev/dax0.0
    CprManifest.RamFile saved = new CprManifest.RamFile(
        "devtmpfs", 5, 4242, 0, daxRdev, Instant.parse("2026-01-01T00:00:00Z"),
        "an-earlier-boot");
    String why = MemoryInspector.differences(saved, "/dev/null", "this-boot");
    assertThat(why).as("/dev/null (1:3) was accepted as the saved DAX device 252:0")
        .isNotNull();
  }
}
