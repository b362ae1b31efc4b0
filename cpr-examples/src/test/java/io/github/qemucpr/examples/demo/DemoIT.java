package io.github.qemucpr.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.examples.support.Processes.Run;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's first command ends in {@code java -jar cpr-examples/target/cpr.jar demo}: run it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DemoIT {

  @Test
  void theGuestKeepsItsBootIdAndHeartbeatAcrossTheRestart() {
    // The 2 min is a hang guard; how long the demo takes is for the benchmarks.
    Run run = Processes.cpr(Duration.ofMinutes(2), "demo");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    String out = run.stdout();
    assertThat(out)
        .containsSubsequence(
            "QEMU #1 started",
            "guest booted: boot_id",
            "SUSPEND",
            "QEMU #1 exited",
            "QEMU #2 started",
            "WAKE_UP",
            "the guest runs on QEMU #2",
            "Timeline:",
            "<- the blackout starts",
            "<- the blackout ends",
            "Blackout: the guest did not run for",
            "Cleaned up");

    Matcher ids = Pattern.compile("boot_id ([0-9a-f-]{36})").matcher(out);
    assertThat(ids.find()).isTrue();
    String first = ids.group(1);
    while (ids.find()) {
      assertThat(ids.group(1)).as("every boot_id the demo shows").isEqualTo(first);
    }
    Matcher beats = Pattern.compile("heartbeat (\\d+), then (\\d+)").matcher(out);
    assertThat(beats.find()).as(out).isTrue();
    assertThat(Long.parseLong(beats.group(2))).isGreaterThan(Long.parseLong(beats.group(1)));
  }
}
