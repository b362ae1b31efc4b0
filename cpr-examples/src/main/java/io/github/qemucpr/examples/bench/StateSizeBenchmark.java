package io.github.qemucpr.examples.bench;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.examples.bench.CprCycles.Cycle;
import io.github.qemucpr.examples.bench.CprCycles.Driver;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.MigrateSetCapabilities;
import io.github.qemucpr.qmp.command.MigrateSetParameters;
import io.github.qemucpr.qmp.command.MigrationCapability;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Part 2: why CPR wants RAM in a shared file. For each RAM size, most of RAM is filled with a
 * pattern, then saved and restored by the SDK with RAM in place ({@code x-ignore-shared}) and
 * copied into the state file (memfd), also with {@code mapped-ram} and {@code multifd}; the disk's
 * own write speed is measured in the same run with {@code dd conv=fsync}.
 */
final class StateSizeBenchmark {
  private static final long MiB = 1L << 20;

  /** How RAM is saved. */
  enum Mode {
    IN_PLACE("in place (shared file, x-ignore-shared)"),
    COPIED("copied (memfd)"),
    COPIED_MAPPED_RAM("copied, mapped-ram"),
    COPIED_MAPPED_RAM_MULTIFD("copied, mapped-ram + multifd (2 channels)");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  /** The cycles of one size and mode, or why there are none. */
  record Result(int mib, Mode mode, long dirtiedBytes, List<Cycle> cycles, @Nullable String note) {}

  /** One {@code dd} run. */
  record DiskSpeed(long bytes, double seconds) {
    double mibPerSecond() {
      return bytes / (double) MiB / seconds;
    }
  }

  private StateSizeBenchmark() {}

  static List<Integer> sizes(boolean quick) {
    return quick ? List.of(256, 1024) : List.of(256, 1024, 4096);
  }

  static List<Result> run(boolean quick, Path work, PrintStream log) throws IOException {
    List<Result> results = new ArrayList<>();
    for (int mib : sizes(quick)) {
      // A copied 4 GiB save writes 4 GiB: one cycle of it says enough.
      int reps = quick || mib > 1024 ? 1 : 3;
      for (Mode mode : Mode.values()) {
        if (quick && mib > 256 && mode.ordinal() > Mode.COPIED.ordinal()) {
          continue; // the quick run keeps to under 3 minutes
        }
        Result r = runOne(mib, mode, reps, work, log);
        results.add(r);
        log.printf(
            "  %5d MiB %-42s %s%n",
            mib,
            mode.label,
            r.cycles().isEmpty()
                ? r.note()
                : String.format(
                    Locale.ROOT,
                    "state %s, blackout %.0f ms",
                    Report.kib(r.cycles().get(0).stateBytes()),
                    BlackoutBenchmark.ms(r.cycles(), Cycle::blackout).median()));
      }
    }
    return results;
  }

  private static Result runOne(int mib, Mode mode, int reps, Path work, PrintStream log)
      throws IOException {
    Path stateDir = Files.createDirectories(work.resolve("size-" + mib + "-" + mode));
    long need = ((long) mib << 20) + 512 * MiB;
    if (mode == Mode.IN_PLACE && Files.getFileStore(Path.of("/dev/shm")).getUsableSpace() < need) {
      return new Result(mib, mode, 0, List.of(), "skipped: not enough free space in /dev/shm");
    }
    if (mode != Mode.IN_PLACE && Files.getFileStore(stateDir).getUsableSpace() < 2 * need) {
      return new Result(mib, mode, 0, List.of(), "skipped: not enough free disk for the state");
    }
    QemuLauncher.Builder b = QemuLauncher.builder().memoryMiB(mib);
    if (mode != Mode.IN_PLACE) {
      b.memfd();
    }
    Consumer<QmpClient> setup =
        switch (mode) {
          case COPIED_MAPPED_RAM ->
              q -> q.execute(MigrateSetCapabilities.enable(MigrationCapability.MAPPED_RAM));
          case COPIED_MAPPED_RAM_MULTIFD ->
              q -> {
                q.execute(MigrateSetParameters.builder().multifdChannels(2).build());
                q.execute(
                    MigrateSetCapabilities.enable(
                        MigrationCapability.MAPPED_RAM, MigrationCapability.MULTIFD));
              };
          default -> q -> {};
        };
    List<Cycle> cycles = new ArrayList<>();
    String note = null;
    long dirtied;
    try (QemuLauncher vm = b.build();
        CprCycles cpr = new CprCycles(vm, stateDir, false, false, mode == Mode.IN_PLACE)) {
      dirtied = startAndDirty(vm, cpr, mode, mib);
      Driver driver = Driver.SDK_FD;
      for (int i = 0; i < reps; i++) {
        try {
          cycles.add(cpr.run(driver, setup));
        } catch (RuntimeException e) {
          String why = Report.causes(e);
          if (driver == Driver.SDK_FD && cycles.isEmpty()) {
            // Try once more with QEMU opening the file itself, and report both.
            note = "with the state file passed by fd: " + why;
            log.printf("  %d MiB %s: %s; trying by path%n", mib, mode.label, why);
            cpr.close();
            startAndDirty(vm, cpr, mode, mib);
            driver = Driver.SDK_PATH;
            i--;
            continue;
          }
          note = (note != null ? note + "; " : "") + "failed: " + why;
          break;
        } finally {
          CprCycles.deleteRecursively(stateDir);
          Files.createDirectories(stateDir);
        }
      }
      if (driver == Driver.SDK_PATH && !cycles.isEmpty()) {
        note = note + "; by path it works (figures shown)";
      }
    } finally {
      CprCycles.deleteRecursively(stateDir);
    }
    return new Result(mib, mode, dirtied, cycles, note);
  }

  private static long startAndDirty(QemuLauncher vm, CprCycles cpr, Mode mode, int mib)
      throws IOException {
    cpr.start();
    Path ram =
        mode == Mode.IN_PLACE ? vm.memoryFile().orElseThrow() : GuestMemory.memfdOf(cpr.current());
    return GuestMemory.dirty(ram, (long) mib << 20);
  }

  private static final Pattern DD = Pattern.compile("(\\d+) bytes .* copied, ([0-9.,]+) s");

  /** {@code dd if=/dev/zero of=DIR/dd.bin bs=1M count=N conv=fsync}. */
  static DiskSpeed measureDisk(Path dir, int mib) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("dd.bin");
    try {
      Process p =
          new ProcessBuilder(
                  "dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + mib, "conv=fsync")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IOException("dd failed: " + out);
      }
      Matcher m = DD.matcher(out);
      if (!m.find()) {
        throw new IOException("cannot read dd's output: " + out);
      }
      return new DiskSpeed(
          Long.parseLong(m.group(1)), Double.parseDouble(m.group(2).replace(',', '.')));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  static String markdown(List<Result> results, List<DiskSpeed> disk) {
    double ddMiBs = Stats.of(disk.stream().map(DiskSpeed::mibPerSecond).toList()).median();
    StringBuilder md = new StringBuilder();
    md.append(
        "| RAM | saved | n | state file | save (stop to exit) | SDK migrate | SDK persist"
            + " (fsync, SHA-256, manifest) | QEMU downtime | restore (greeting to running) | blackout"
            + " | state file / dd speed |\n");
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      md.append("| ").append(r.mib()).append(" MiB | ").append(r.mode().label).append(" | ");
      if (r.cycles().isEmpty()) {
        md.append("0 | ").append(r.note()).append(" |||||||| \n");
        continue;
      }
      List<Cycle> c = r.cycles();
      long bytes = c.get(0).stateBytes();
      md.append(c.size())
          .append(" | ")
          .append(Report.kib(bytes))
          .append(" | ")
          .append(BlackoutBenchmark.ms(c, Cycle::save).medianAndP90(0))
          .append(" | ")
          .append(phase(c, CprPhase.MIGRATE))
          .append(" | ")
          .append(phase(c, CprPhase.PERSIST))
          .append(" | ")
          .append(
              Stats.of(
                      c.stream()
                          .filter(x -> x.qemuDowntime() != null)
                          .map(x -> BlackoutBenchmark.millis(x.qemuDowntime()))
                          .toList())
                  .medianAndP90(0))
          .append(" | ")
          .append(BlackoutBenchmark.ms(c, Cycle::restore).medianAndP90(0))
          .append(" | ")
          .append(BlackoutBenchmark.ms(c, Cycle::blackout).medianAndP90(0))
          .append(" | ")
          .append(Stats.format(bytes / (double) MiB / ddMiBs * 1000, 0))
          .append(" ms |\n");
    }
    md.append("\nTimes in ms, median (p90) over the cycles. Each VM had ")
        .append("its RAM filled with a pattern first, all but the firmware's 32 MiB. ")
        .append(
            "`dd if=/dev/zero bs=1M conv=fsync` into the state file's directory, in this run: ");
    for (int i = 0; i < disk.size(); i++) {
      md.append(i == 0 ? "" : ", ")
          .append(Stats.format(disk.get(i).mibPerSecond(), 0))
          .append(" MiB/s (")
          .append(disk.get(i).bytes() >> 20)
          .append(" MiB in ")
          .append(Stats.format(disk.get(i).seconds(), 2))
          .append(" s)");
    }
    md.append(
        "; the last column is the state file's size at the median of those speeds: the"
            + " least time a copied save can take to make its state durable. The restore reads the"
            + " state file back from the page cache, where the save has just left it.\n");
    boolean noteSeen = false;
    for (Result r : results) {
      String note = r.note();
      if (note == null) {
        continue;
      }
      if (!noteSeen) {
        md.append("\nWhat QEMU or the SDK said:\n\n");
        noteSeen = true;
      }
      md.append("- ")
          .append(r.mib())
          .append(" MiB, ")
          .append(r.mode().label)
          .append(": ")
          .append(note.replace("\n", " "))
          .append('\n');
    }
    return md.toString();
  }

  private static String phase(List<Cycle> c, CprPhase p) {
    return Stats.of(
            c.stream()
                .map(x -> BlackoutBenchmark.millis(x.savePhases().getOrDefault(p, Duration.ZERO)))
                .toList())
        .medianAndP90(0);
  }

  /** Gnuplot data: RAM MiB, then the median blackout in seconds per mode ({@code NaN} if none). */
  static String plotData(List<Result> results, Map<Integer, Double> transferSeconds) {
    StringBuilder d = new StringBuilder("# RAM_MiB");
    for (Mode m : Mode.values()) {
      d.append(' ').append(m.name());
    }
    d.append(" CPR_TRANSFER\n");
    results.stream()
        .map(Result::mib)
        .distinct()
        .forEach(
            mib -> {
              d.append(mib);
              for (Mode m : Mode.values()) {
                double s =
                    results.stream()
                        .filter(r -> r.mib() == mib && r.mode() == m && !r.cycles().isEmpty())
                        .findFirst()
                        .map(r -> BlackoutBenchmark.ms(r.cycles(), Cycle::blackout).median() / 1000)
                        .orElse(Double.NaN);
                d.append(' ').append(Double.isNaN(s) ? "NaN" : Stats.format(s, 4));
              }
              Double t = transferSeconds.get(mib);
              d.append(' ').append(t == null ? "NaN" : Stats.format(t, 4)).append('\n');
            });
    return d.toString();
  }
}
