package io.github.qemucpr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import io.github.qemucpr.examples.support.Processes.Run;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs each example program as the README says, {@code java -cp cpr-examples/target/cpr.jar CLASS},
 * against real QEMU, and checks that it succeeds and walks through the documented states.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ExamplesIT {
  private static final Duration T = Duration.ofMinutes(3);

  private static Run runExample(Class<?> example) {
    return Processes.run(
        List.of(Processes.java(), "-cp", Processes.cprJar().toString(), example.getName()), T);
  }

  @Test
  void example1SavesInPlaceAndRestores() {
    Run run = runExample(Example1SharedMemory.class);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.stdout())
        .containsSubsequence(
            "VM status: running",
            "(qemu) migrate_set_parameter mode cpr-reboot",
            "RAM stayed in place",
            "VM status: postmigrate",
            "(qemu) quit",
            "-incoming defer",
            "VM status: inmigrate",
            "(qemu) migrate_incoming file:",
            "VM status: running",
            "the guest runs on",
            "Example 1 done.");
  }

  @Test
  void example2SuspendsSavesRestoresAndWakes() {
    Run run = runExample(Example2SuspendedGuest.class);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.stdout())
        .containsSubsequence(
            "VM status: running",
            "guest-suspend-ram",
            "VM status: suspended",
            "VM status: postmigrate",
            "(qemu) quit",
            "VM status: inmigrate",
            "VM status: suspended",
            "(qemu) system_wakeup",
            "VM status: running",
            "its agent answers again",
            "Example 2 done.");
  }
}
