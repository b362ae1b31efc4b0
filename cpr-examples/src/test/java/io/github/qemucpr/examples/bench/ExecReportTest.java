package io.github.qemucpr.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.examples.bench.BlackoutBenchmark.Config;
import io.github.qemucpr.examples.bench.BlackoutBenchmark.Result;
import io.github.qemucpr.examples.bench.CprCycles.Cycle;
import io.github.qemucpr.examples.bench.CprCycles.Driver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cpr-exec part of the benchmark report, on made-up cycles: what the tables say, how the QEMU
 * without cpr-exec is reported, and the command line the exec repeats. No real time is looked at.
 */
class ExecReportTest {
  private static final Config VM = new Config("machine only, 256 MiB", 256, false, false, true, 3);

  private static Cycle cycle(Driver d, double blackoutMs, double gapMs, boolean exact) {
    Duration b = Duration.ofNanos((long) (blackoutMs * 1e6));
    Map<CprPhase, Duration> phases = new EnumMap<>(CprPhase.class);
    if (d == Driver.EXEC_SDK) {
      phases.put(CprPhase.MIGRATE, Duration.ofMillis(7));
      phases.put(CprPhase.CONNECT_TARGET, Duration.ofMillis(100));
    }
    return new Cycle(
        d,
        b,
        Duration.ZERO,
        Duration.ofNanos((long) (gapMs * 1e6)),
        Duration.ZERO,
        0,
        phases,
        Map.of(),
        null,
        exact);
  }

  private static List<Cycle> cycles(Driver d, double... blackoutMs) {
    List<Cycle> list = new ArrayList<>();
    for (double ms : blackoutMs) {
      list.add(cycle(d, ms, 100, d != Driver.EXEC_RAW || ms < 200));
    }
    return list;
  }

  @Test
  void theExecTablesGiveRatiosPairedOverheadAndDistributions() {
    Map<Driver, List<Cycle>> m = new EnumMap<>(Driver.class);
    m.put(Driver.EXEC_SDK, cycles(Driver.EXEC_SDK, 150, 160, 170));
    m.put(Driver.EXEC_RAW, cycles(Driver.EXEC_RAW, 100, 120, 300));
    m.put(Driver.TRANSFER, cycles(Driver.TRANSFER, 80, 80, 80));
    m.put(Driver.SDK_FD, cycles(Driver.SDK_FD, 320, 320, 320));
    m.put(Driver.RAW, cycles(Driver.RAW, 240, 240, 240));
    String md = BlackoutBenchmark.execMarkdown(List.of(new Result(VM, m, 0, null)));

    assertThat(md).contains("cpr-exec, SDK against a raw client");
    // medians 160 and 120: 1.33; paired differences 50, 40, -130: median 40.0
    assertThat(md)
        .contains(
            "| machine only, 256 MiB | 3 | 160.0 (170.0) | 120.0 (300.0) | 1.33 | 40.0 (50.0) ms"
                + " | 3/3 / 2/3 | 100.0 (100.0) | 100.0 (100.0) | 80.0 (80.0) | 320.0 (320.0)"
                + " | 2.00 | 0.50 | 0.50 |");
    assertThat(md)
        .contains("| machine only, 256 MiB | raw client cpr-exec (by path) | 3 | 100.0 |")
        .contains("| 300.0 | 300.0 |");
    assertThat(md).contains("| PREFLIGHT | PREPARE | MIGRATE | CONNECT_TARGET | LOAD |");
    assertThat(md).contains("| machine only, 256 MiB | 0.0 (0.0) | 0.0 (0.0) | 7.0 (7.0) | 100.0");
    assertThat(md).doesNotContain("not measured").doesNotContain("NaN");
  }

  @Test
  void aQemuWithoutCprExecIsReportedNotMeasured() {
    String absence = ExecSupport.absence(List.of("normal", "cpr-reboot", "cpr-transfer"), "10.0.2");
    assertThat(absence)
        .isEqualTo(
            "QEMU 10.0.2 has no cpr-exec (its migrate-set-parameters mode values: normal,"
                + " cpr-reboot, cpr-transfer); cpr-exec needs QEMU 10.2 or later");
    assertThat(ExecSupport.absence(List.of(), "9.0.0")).contains("mode values: none");
    assertThat(
            ExecSupport.absence(
                List.of("normal", "cpr-reboot", "cpr-transfer", "cpr-exec"), "11.1.3"))
        .isNull();

    Map<Driver, List<Cycle>> m = new EnumMap<>(Driver.class);
    m.put(Driver.SDK_FD, cycles(Driver.SDK_FD, 320));
    String md = BlackoutBenchmark.execMarkdown(List.of(new Result(VM, m, 0, absence)));
    assertThat(md)
        .contains(
            "**cpr-exec** on machine only, 256 MiB: not measured, QEMU 10.0.2 has no cpr-exec")
        .doesNotContain("| VM | n | cpr-exec blackout");
  }

  @Test
  void noMachineOnlyVmMeansNoExecSection() {
    Config guest = new Config("test guest", 256, true, false, false, 3);
    assertThat(BlackoutBenchmark.execMarkdown(List.of(new Result(guest, Map.of(), 0, null))))
        .isEmpty();
  }

  @Test
  void theExecRepeatsTheCommandLineWithoutItsIncoming() {
    byte[] raw =
        ("/usr/bin/qemu-system-x86_64\u0000-m\u0000256\u0000-incoming\u0000defer\u0000-incoming\u0000"
                + "{\"channel-type\":\"cpr\"}\u0000-qmp\u0000unix:/tmp/q.sock,server=on,wait=off\u0000"
                + "-incoming=file:/x\u0000")
            .getBytes(StandardCharsets.UTF_8);
    List<String> argv = ExecSupport.parseCmdline(raw);
    assertThat(argv).hasSize(10).startsWith("/usr/bin/qemu-system-x86_64", "-m", "256");
    assertThat(ExecSupport.withoutIncoming(argv))
        .containsExactly(
            "/usr/bin/qemu-system-x86_64",
            "-m",
            "256",
            "-qmp",
            "unix:/tmp/q.sock,server=on,wait=off");
    assertThat(ExecSupport.parseCmdline("a\u0000b".getBytes(StandardCharsets.UTF_8)))
        .containsExactly("a", "b");
  }

  @Test
  void theRawClientReadsTheRunStateWithOrWithoutSpaces() {
    assertThat(RawCpr.runState("{\"return\": {\"status\": \"running\", \"running\": true}}"))
        .isEqualTo("running");
    assertThat(RawCpr.runState("{\"return\":{\"running\":false,\"status\":\"inmigrate\"}}"))
        .isEqualTo("inmigrate");
    assertThat(RawCpr.runState("{\"return\": {}}")).isEqualTo("{\"return\": {}}");
  }

  @Test
  void theQemuVersionIsReadFromItsVersionLine() {
    assertThat(Report.qemuVersion("QEMU emulator version 11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)"))
        .isEqualTo("11.1.3");
    assertThat(Report.qemuVersion("QEMU emulator version 10.0.2")).isEqualTo("10.0.2");
    assertThat(Report.qemuVersion("qemu-system-x86_64: not found")).isEqualTo("unknown");
  }
}
