package io.github.qemucpr.examples.bench;

import io.github.qemucpr.examples.bench.CprCycles.Cycle;
import io.github.qemucpr.examples.bench.CprCycles.Driver;
import io.github.qemucpr.launcher.QemuLauncher;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Part 6: the cold-start blackout. A manager saves a VM rarely, so its SDK code runs cold: not yet
 * compiled, its classes perhaps not yet loaded. Each sample here is a JVM of its own that connects
 * to a new machine-only VM (256 MiB, RAM in place) and runs one cpr-reboot cycle, with no warm-up,
 * through the SDK (state file by fd) or the raw client; the two alternate, in an order that turns
 * from round to round. Part 1's figures are the same cycles warm.
 */
final class ColdStartBenchmark {

  private static final String LINE = "cold-cycle ";

  /** One fresh JVM's cycle. */
  record Sample(Driver driver, double blackoutMs, double withoutStartMs) {}

  /** The samples of both drivers, in the order they ran. */
  record Result(List<Sample> samples) {
    List<Sample> of(Driver d) {
      return samples.stream().filter(s -> s.driver() == d).toList();
    }

    Stats blackout(Driver d) {
      return Stats.of(of(d).stream().map(Sample::blackoutMs).toList());
    }

    Stats withoutStart(Driver d) {
      return Stats.of(of(d).stream().map(Sample::withoutStartMs).toList());
    }

    /** Per round, the SDK's blackout without the start minus the raw client's. */
    Stats overhead() {
      List<Sample> sdk = of(Driver.SDK_FD);
      List<Sample> raw = of(Driver.RAW);
      List<Double> d = new ArrayList<>();
      for (int i = 0; i < Math.min(sdk.size(), raw.size()); i++) {
        d.add(sdk.get(i).withoutStartMs() - raw.get(i).withoutStartMs());
      }
      return Stats.of(d);
    }
  }

  private ColdStartBenchmark() {}

  /**
   * The child: {@code DRIVER WORKDIR} runs one cycle of a new VM, and prints one line: {@code
   * cold-cycle BLACKOUT_NS START_NS}.
   */
  public static void main(String[] args) throws Exception {
    Driver d = Driver.valueOf(args[0]);
    Path work = Files.createDirectories(Path.of(args[1]));
    try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(256).auxRamShare().build();
        CprCycles cpr = new CprCycles(vm, work, false, false, true)) {
      cpr.start();
      Cycle c = cpr.run(d, q -> {});
      System.out.println("phases: save " + c.savePhases() + ", restore " + c.restorePhases());
      System.out.println(LINE + c.blackout().toNanos() + " " + c.start().toNanos());
    }
  }

  /** Runs the rounds, each a fresh JVM per driver. */
  static Result run(Path cprJar, Path work, boolean quick, PrintStream log) throws Exception {
    int rounds = quick ? 2 : 8;
    List<Sample> samples = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      List<Driver> order =
          round % 2 == 0 ? List.of(Driver.SDK_FD, Driver.RAW) : List.of(Driver.RAW, Driver.SDK_FD);
      for (Driver d : order) {
        samples.add(once(d, cprJar, work.resolve("cold-" + round + "-" + d.name()), log));
      }
    }
    Result r = new Result(samples);
    log.printf(
        "  cold blackout median: SDK fd %.1f ms, raw %.1f ms; SDK overhead %.1f ms%n",
        r.blackout(Driver.SDK_FD).median(), r.blackout(Driver.RAW).median(), r.overhead().median());
    return r;
  }

  private static Sample once(Driver d, Path cprJar, Path dir, PrintStream log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                cprJar.toString(),
                ColdStartBenchmark.class.getName(),
                d.name(),
                dir.toString())
            .redirectErrorStream(true)
            .start();
    List<String> out = new ArrayList<>();
    try (var in = p.inputReader()) {
      in.lines().forEach(out::add);
    }
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("a cold cycle (" + d + ") did not end within 5 minutes");
    }
    CprCycles.deleteRecursively(dir);
    if (p.exitValue() != 0) {
      out.forEach(log::println);
      throw new IllegalStateException("a cold cycle (" + d + ") failed: exit " + p.exitValue());
    }
    return parse(d, out);
  }

  /** Reads the child's result line; anything else it printed is ignored. */
  static Sample parse(Driver d, List<String> output) throws IOException {
    for (String line : output) {
      if (line.startsWith(LINE)) {
        String[] f = line.substring(LINE.length()).trim().split(" ");
        if (f.length != 2) {
          throw new IOException("a malformed cold-cycle line: " + line);
        }
        double blackout = Long.parseLong(f[0]) / 1e6;
        double start = Long.parseLong(f[1]) / 1e6;
        if (blackout < 0 || start < 0 || start > blackout) {
          throw new IOException("a cold-cycle line out of range: " + line);
        }
        return new Sample(d, blackout, blackout - start);
      }
    }
    throw new IOException("the cold cycle printed no result line: " + String.join("\n", output));
  }

  static String markdown(Result r) {
    StringBuilder md = new StringBuilder();
    md.append("| client | n | blackout | blackout without the start |\n|---|---:|---:|---:|\n");
    for (Driver d : List.of(Driver.SDK_FD, Driver.RAW)) {
      Stats b = r.blackout(d);
      Stats w = r.withoutStart(d);
      md.append("| ")
          .append(d.label)
          .append(" | ")
          .append(r.of(d).size())
          .append(" | ")
          .append(Stats.format(b.median(), 1))
          .append(" (")
          .append(Stats.format(b.percentile(90), 1))
          .append(") | ")
          .append(Stats.format(w.median(), 1))
          .append(" (")
          .append(Stats.format(w.percentile(90), 1))
          .append(") |\n");
    }
    Stats o = r.overhead();
    md.append("\nTimes in ms, median (p90). SDK fd / raw, blackout: ")
        .append(Report.ratio(r.blackout(Driver.SDK_FD).median(), r.blackout(Driver.RAW).median()))
        .append("; without the start: ")
        .append(
            Report.ratio(
                r.withoutStart(Driver.SDK_FD).median(), r.withoutStart(Driver.RAW).median()))
        .append(". The SDK's overhead per cycle, cold (paired by round): ")
        .append(Stats.format(o.median(), 1))
        .append(" (")
        .append(Stats.format(o.percentile(90), 1))
        .append(") ms.\n");
    return md.toString();
  }
}
