package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.testing.FakeGuestAgent;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The S3 check of the preflight: a guest that must be suspended while S3 is disabled (q35: ICH9-LPC
 * {@code disable_s3}; i440fx: PIIX4_PM {@code disable_s3}) is an error, found through QOM, before
 * anything is changed.
 */
class PreflightS3Test extends FakeQemuTest {

  private static List<PreflightItem> s3Items(PreflightReport report) {
    return report.items().stream().filter(i -> i.code() == PreflightCode.S3_DISABLED).toList();
  }

  @Test
  void s3DisabledOnQ35IsAnErrorWhenTheGuestMustBeSuspended() {
    qemu.disableS3(1);
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(s3Items(report))
          .as(report.toString())
          .singleElement()
          .satisfies(
              item -> {
                assertThat(item.isError()).isTrue();
                assertThat(item.message()).contains("disable_s3=1", "suspend-to-idle");
                assertThat(item.fix()).contains("-global ICH9-LPC.disable_s3=0");
              });
      assertThat(qemu.requests("qom-get"))
          .filteredOn(r -> "disable_s3".equals(r.argument("property")))
          .extracting(r -> r.argument("path"))
          .containsExactly("/machine/unattached/device[2]");
      assertThat(agent.commands()).doesNotContain("guest-suspend-ram");

      CprPreflightException e =
          catchThrowableOfType(
              CprPreflightException.class,
              () -> save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).run());
      assertThat(e.report().has(PreflightCode.S3_DISABLED)).isTrue();
      assertThat(e.recovery()).isEqualTo(VmRecovery.UNTOUCHED);
      assertThat(qemu.runState()).isEqualTo("running");
      assertThat(qemu.commands()).doesNotContain("migrate");
    }
  }

  @Test
  void s3DisabledOnI440fxIsAnErrorWhenTheGuestMustBeSuspended() {
    qemu.piix4DisableS3(1);
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(s3Items(report))
          .as(report.toString())
          .singleElement()
          .satisfies(
              item -> {
                assertThat(item.isError()).isTrue();
                assertThat(item.message()).contains("PIIX4_PM disable_s3=1", "suspend-to-idle");
                assertThat(item.fix()).contains("-global PIIX4_PM.disable_s3=0");
              });
      assertThat(qemu.requests("qom-get"))
          .filteredOn(r -> "disable_s3".equals(r.argument("property")))
          .extracting(r -> r.argument("path"))
          .containsExactly("/machine/unattached/device[3]/pm");
      assertThat(agent.commands()).doesNotContain("guest-suspend-ram");
    }
  }

  @Test
  void s3EnabledOnI440fxIsFine() {
    qemu.piix4DisableS3(0);
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(report.items()).as(report.toString()).isEmpty();
      assertThat(qemu.requests("qom-get"))
          .filteredOn(r -> "disable_s3".equals(r.argument("property")))
          .extracting(r -> r.argument("path"))
          .containsExactly("/machine/unattached/device[3]/pm");
    }
  }

  @Test
  void s3EnabledOnQ35IsFine() {
    qemu.disableS3(0);
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(report.items()).as(report.toString()).isEmpty();
      assertThat(report.suspendGuest()).isTrue();
    }
  }

  @Test
  void noLpcBridgeMeansAnotherMachineAndIsSkippedSilently() {
    qemu.disableS3(null); // /machine/unattached has no child<ICH9-LPC>
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(report.items()).as(report.toString()).isEmpty();
      assertThat(qemu.requests("qom-get"))
          .noneMatch(r -> "disable_s3".equals(r.argument("property")));
    }
  }

  @Test
  void s3IsNotAskedForWhenTheGuestIsNotSuspended() {
    qemu.disableS3(1);
    PreflightReport report = save().check(); // AUTO, no VFIO: no suspend
    assertThat(report.items()).as(report.toString()).isEmpty();
    assertThat(qemu.requests("qom-list"))
        .noneMatch(r -> "/machine/unattached".equals(r.argument("path")));
  }

  @Test
  void aFailingQomReadIsNotAnError() {
    qemu.disableS3(1);
    qemu.on(
        "qom-get", (r, x) -> x.error("GenericError", "Property 'ICH9-LPC.disable_s3' not found"));
    try (FakeGuestAgent agent = FakeGuestAgent.start();
        GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
      PreflightReport report = save().guestAgent(qga).suspendPolicy(SuspendPolicy.ALWAYS).check();
      assertThat(s3Items(report)).isEmpty();
    }
  }
}
