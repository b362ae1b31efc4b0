package io.github.qemucpr.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.examples.support.Processes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The quick benchmark run keeps working: it completes against real QEMU and writes every table and
 * the plot's data, into target/ (never docs/). Benchmarks are not tests: nothing here looks at a
 * time or a ratio.
 */
class BenchQuickIT {

  @Test
  void theQuickRunProducesEveryTable() throws Exception {
    Path out = Path.of("target", "bench-quick-it").toAbsolutePath();
    Path work = out.resolve("work");
    Files.createDirectories(work);

    // JMH in this JVM (no fork) and short: enough to check that the gc profiler's figures arrive.
    Path jmhJson = work.resolve("jmh.json");
    Options jmh =
        new OptionsBuilder()
            .include(QmpAllocationBenchmark.class.getName() + ".(sdkExecute|rawSequential)$")
            .forks(0)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.seconds(1))
            .addProfiler("gc")
            .resultFormat(ResultFormatType.JSON)
            .result(jmhJson.toString())
            .build();
    new Runner(jmh).run();

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path report =
        Bench.run(
            new Bench.Options(
                true,
                out,
                work,
                jmhJson,
                Processes.cprJar(),
                Set.of("blackout", "size", "qmp", "startup")),
            new PrintStream(log, true, StandardCharsets.UTF_8));

    String md = Files.readString(report);
    assertThat(md)
        .contains(
            "# Benchmarks",
            "## Targets",
            "| target | measured | met |",
            "## 1. Blackout per cpr-reboot cycle",
            "| VM | client | n | blackout |",
            "SDK fd / raw, blackout",
            "save PREFLIGHT",
            "cpr-transfer against cpr-reboot",
            "SDK cpr-transfer",
            "**cpr-exec",
            "## 2. RAM in place against RAM copied",
            "| RAM | saved | n | state file |",
            "in place (shared file, x-ignore-shared)",
            "copied (memfd)",
            "MiB/s",
            "## 3. QMP speed",
            "raw, pipelined",
            "SDK, 16 threads, one connection",
            "| JMH benchmark | ops/s | B/op |",
            "sdkExecute",
            "rawSequential",
            "## 4. Start-up",
            "Ratio java / python3",
            "QEMU emulator version",
            "CPU:");
    assertThat(md).doesNotContain("NaN");
    assertThat(Files.readAllLines(work.resolve("blackout-vs-ram.dat"))).hasSizeGreaterThan(2);
    assertThat(Files.readString(work.resolve("blackout-vs-ram.gp")))
        .contains(out.resolve(Bench.PLOT).toString());
  }
}
