package io.github.qemucpr.examples.bench;

import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.examples.bench.CprCycles.Cycle;
import io.github.qemucpr.examples.bench.CprCycles.Driver;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.TestGuestImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Part 1: the blackout of whole cpr-reboot cycles, SDK against the raw client, interleaved round by
 * round (each round runs every driver once, in an order that rotates) so that drift on a noisy
 * machine falls on all of them alike. The machine-only VMs also run cpr-transfer and, on a QEMU
 * that has it (read from its schema), cpr-exec by the SDK and by a raw client, in the same rounds.
 */
final class BlackoutBenchmark {
  /** The cpr-reboot drivers, in the rotation's order. */
  static final List<Driver> REBOOT = List.of(Driver.SDK_FD, Driver.SDK_PATH, Driver.RAW);

  /**
   * A VM to cycle.
   *
   * @param suspend whether the guest is suspended through its agent before each save
   * @param transfer whether cpr-transfer cycles run too, interleaved with the cpr-reboot ones (the
   *     VM then has {@code -machine aux-ram-share=on}, for all of its cycles), and cpr-exec cycles
   *     (SDK and raw) when the QEMU has cpr-exec
   * @param rounds the rounds (the quick run has its own configs)
   */
  record Config(
      String label, int mib, boolean testGuest, boolean suspend, boolean transfer, int rounds) {
    List<Driver> drivers(boolean exec) {
      List<Driver> d = new ArrayList<>(REBOOT);
      if (transfer) {
        d.add(Driver.TRANSFER);
        if (exec) {
          d.add(Driver.EXEC_SDK);
          d.add(Driver.EXEC_RAW);
        }
      }
      return d;
    }
  }

  /**
   * The cycles of one VM, by driver, in round order.
   *
   * @param execAbsence why the VM ran no cpr-exec cycles although it would have (its QEMU has no
   *     cpr-exec), or null
   */
  record Result(
      Config config,
      Map<Driver, List<Cycle>> cycles,
      long shmFreeBefore,
      @Nullable String execAbsence) {
    List<Cycle> of(Driver d) {
      return cycles.getOrDefault(d, List.of());
    }
  }

  private BlackoutBenchmark() {}

  static List<Config> configs(boolean quick) {
    if (quick) {
      return List.of(
          new Config("machine only, 256 MiB", 256, false, false, true, 2),
          new Config("machine only, 4 GiB", 4096, false, false, true, 2),
          new Config("test guest + agent, 256 MiB, running", 256, true, false, false, 2));
    }
    return List.of(
        new Config("machine only, 256 MiB", 256, false, false, true, 20),
        new Config("machine only, 1 GiB", 1024, false, false, true, 20),
        new Config("machine only, 4 GiB", 4096, false, false, true, 20),
        new Config("test guest + agent, 256 MiB, running", 256, true, false, false, 20),
        new Config("test guest + agent, 256 MiB, suspended first", 256, true, true, false, 20));
  }

  static List<Result> run(boolean quick, Path work, PrintStream log) throws IOException {
    List<Result> results = new ArrayList<>();
    // For experiments: -Dbench.warmup=N warm-up cycles per client (default 1), and
    // -Dbench.configs=TEXT to run only the VMs whose label contains TEXT, -Dbench.rounds=N for N
    // rounds per VM instead of the run's own.
    int warmUp = Integer.getInteger("bench.warmup", 1);
    Integer roundsOverride = Integer.getInteger("bench.rounds");
    String only = System.getProperty("bench.configs", "");
    for (Config c : configs(quick)) {
      if (!c.label().contains(only)) {
        continue;
      }
      long free = Files.getFileStore(Path.of("/dev/shm")).getUsableSpace();
      if (free < (c.mib() + 512L) << 20) {
        log.printf("  %s: skipped, /dev/shm has only %d MiB free%n", c.label(), free >> 20);
        continue;
      }
      QemuLauncher.Builder b = QemuLauncher.builder().memoryMiB(c.mib());
      if (c.transfer()) {
        b.auxRamShare();
      }
      if (c.testGuest()) {
        TestGuestImage guest = TestGuestImage.locateOrBuild();
        b.testGuest(guest.kernel(), guest.initramfs());
      }
      Path stateDir =
          Files.createDirectories(
              work.resolve(
                  "blackout-"
                      + c.mib()
                      + (c.testGuest() ? "-guest" : "")
                      + (c.suspend() ? "-suspend" : "")));
      Map<Driver, List<Cycle>> cycles = new EnumMap<>(Driver.class);
      String execAbsence = null;
      int rounds = roundsOverride != null ? roundsOverride : c.rounds();
      try (QemuLauncher vm = b.build();
          CprCycles cpr = new CprCycles(vm, stateDir, c.testGuest(), c.suspend(), true)) {
        QemuInstance first = cpr.start();
        if (c.transfer()) {
          try (QmpClient qmp = QmpClient.connect(first.qmpSocket())) {
            execAbsence = ExecSupport.absence(qmp);
          }
          if (execAbsence != null) {
            log.printf("  %s: no cpr-exec cycles: %s%n", c.label(), execAbsence);
          }
        }
        List<Driver> drivers = c.drivers(execAbsence == null);
        for (Driver d : drivers) {
          cycles.put(d, new ArrayList<>());
        }
        for (int i = 0; i < warmUp; i++) {
          for (Driver d : drivers) { // warm-up: JIT, page cache
            cpr.run(d, q -> {});
          }
        }
        for (int round = 0; round < rounds; round++) {
          for (int i = 0; i < drivers.size(); i++) {
            Driver d = drivers.get((round + i) % drivers.size());
            Maps.present(cycles, d).add(cpr.run(d, q -> {}));
          }
        }
      }
      Result r = new Result(c, cycles, free, execAbsence);
      results.add(r);
      log.printf(
          "  %-42s blackout median: SDK fd %.1f ms, SDK path %.1f ms, raw %.1f ms%s%s%n",
          c.label(),
          ms(r.of(Driver.SDK_FD), Cycle::blackout).median(),
          ms(r.of(Driver.SDK_PATH), Cycle::blackout).median(),
          ms(r.of(Driver.RAW), Cycle::blackout).median(),
          c.transfer()
              ? String.format(
                  java.util.Locale.ROOT,
                  ", cpr-transfer %.1f ms",
                  ms(r.of(Driver.TRANSFER), Cycle::blackout).median())
              : "",
          r.of(Driver.EXEC_SDK).isEmpty() || r.of(Driver.EXEC_RAW).isEmpty()
              ? ""
              : String.format(
                  java.util.Locale.ROOT,
                  ", cpr-exec SDK %.1f ms, raw %.1f ms",
                  ms(r.of(Driver.EXEC_SDK), Cycle::blackout).median(),
                  ms(r.of(Driver.EXEC_RAW), Cycle::blackout).median()));
    }
    return results;
  }

  static Stats ms(List<Cycle> cycles, java.util.function.Function<Cycle, Duration> f) {
    return Stats.of(cycles.stream().map(c -> f.apply(c).toNanos() / 1e6).toList());
  }

  /** The median of the per-round differences {@code f(sdk) - f(raw)}, in ms. */
  static Stats pairedDifference(List<Cycle> sdk, List<Cycle> raw, ToDoubleFunction<Cycle> f) {
    int n = Math.min(sdk.size(), raw.size());
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = f.applyAsDouble(sdk.get(i)) - f.applyAsDouble(raw.get(i));
    }
    return Stats.of(d);
  }

  static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }

  static String markdown(List<Result> results) {
    StringBuilder md = new StringBuilder();
    md.append(
        "| VM | client | n | blackout | save (stop to exit) | new QEMU start (caller)"
            + " | restore (greeting to running) | blackout without the start | state file |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      for (Driver d : REBOOT) {
        List<Cycle> c = r.of(d);
        md.append("| ")
            .append(r.config().label())
            .append(" | ")
            .append(d.label)
            .append(" | ")
            .append(c.size())
            .append(" | ")
            .append(ms(c, Cycle::blackout).medianAndP90(1))
            .append(" | ")
            .append(ms(c, Cycle::save).medianAndP90(1))
            .append(" | ")
            .append(ms(c, Cycle::start).medianAndP90(1))
            .append(" | ")
            .append(ms(c, Cycle::restore).medianAndP90(1))
            .append(" | ")
            .append(ms(c, Cycle::blackoutWithoutStart).medianAndP90(1))
            .append(" | ")
            .append(Report.kib(c.isEmpty() ? 0 : c.get(0).stateBytes()))
            .append(" |\n");
      }
    }
    md.append(
        "\nTimes in ms, median (p90). The blackout runs from the old QEMU's `STOP` event (`SUSPEND`"
            + " for the suspended guest) to the new QEMU's `RESUME` (`WAKEUP`), both on QEMU's own clock;"
            + " the new QEMU's start runs from the old QEMU's exit to the new one's QMP greeting (the"
            + " launcher polls for it every 10 ms). The machine-only VMs run with `-machine"
            + " aux-ram-share=on`, which cpr-transfer needs, for their cpr-reboot cycles too.\n\n");

    md.append("**Ratios and the SDK's own overhead** (same rounds, paired):\n\n");
    md.append(
        "| VM | SDK fd / raw, blackout | SDK path / raw, blackout | SDK fd / raw, without the start"
            + " | SDK path / raw, without the start | SDK overhead per cycle, fd | SDK overhead per cycle,"
            + " path |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      List<Cycle> raw = r.of(Driver.RAW);
      md.append("| ").append(r.config().label());
      for (java.util.function.Function<Cycle, Duration> f :
          List.<java.util.function.Function<Cycle, Duration>>of(
              Cycle::blackout, Cycle::blackoutWithoutStart)) {
        for (Driver d : List.of(Driver.SDK_FD, Driver.SDK_PATH)) {
          md.append(" | ").append(Report.ratio(ms(r.of(d), f).median(), ms(raw, f).median()));
        }
      }
      for (Driver d : List.of(Driver.SDK_FD, Driver.SDK_PATH)) {
        Stats diff = pairedDifference(r.of(d), raw, c -> millis(c.blackoutWithoutStart()));
        md.append(" | ").append(diff.medianAndP90(1)).append(" ms");
      }
      md.append(" |\n");
    }
    md.append(
        "\nThe SDK's overhead per cycle is the median (p90) over the rounds of the SDK's blackout"
            + " without the new QEMU's start minus the raw client's in the same round. The raw client"
            + " waits only on QEMU and on the file steps both do (fsync, SHA-256, manifest, renames), so"
            + " the difference is the time the SDK adds: its extra round trips and checks, and its own"
            + " processing.\n\n");

    md.append(
        "**Where the SDK's time goes** (SDK, fd; median ms per phase; the blackout covers the"
            + " save phases from the one that stops the VM on, and every restore phase up to the load):\n\n");
    md.append("| VM | ");
    List<CprPhase> phases =
        List.of(
            CprPhase.PREFLIGHT,
            CprPhase.SUSPEND,
            CprPhase.PREPARE,
            CprPhase.MIGRATE,
            CprPhase.PERSIST,
            CprPhase.QUIT);
    List<CprPhase> restorePhases =
        List.of(
            CprPhase.VERIFY,
            CprPhase.PREPARE,
            CprPhase.LOAD,
            CprPhase.WAKE_UP,
            CprPhase.MARK_RESTORED);
    for (CprPhase p : phases) {
      md.append("save ").append(p).append(" | ");
    }
    for (CprPhase p : restorePhases) {
      md.append("restore ").append(p).append(" | ");
    }
    md.append("\n|---|").append("---:|".repeat(phases.size() + restorePhases.size())).append('\n');
    for (Result r : results) {
      List<Cycle> c = r.of(Driver.SDK_FD);
      md.append("| ").append(r.config().label()).append(" | ");
      for (CprPhase p : phases) {
        md.append(
                Stats.format(
                    Stats.of(
                            c.stream()
                                .map(x -> millis(x.savePhases().getOrDefault(p, Duration.ZERO)))
                                .toList())
                        .median(),
                    1))
            .append(" | ");
      }
      for (CprPhase p : restorePhases) {
        md.append(
                Stats.format(
                    Stats.of(
                            c.stream()
                                .map(x -> millis(x.restorePhases().getOrDefault(p, Duration.ZERO)))
                                .toList())
                        .median(),
                    1))
            .append(" | ");
      }
      md.append('\n');
    }
    md.append(transferMarkdown(results));
    md.append(execMarkdown(results));
    return md.toString();
  }

  /** The cpr-transfer table, beside the SDK's cpr-reboot (fd) on the same VMs; empty without. */
  static String transferMarkdown(List<Result> results) {
    List<Result> rows = results.stream().filter(r -> !r.of(Driver.TRANSFER).isEmpty()).toList();
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder();
    md.append(
        "\n**cpr-transfer against cpr-reboot** (the same VMs, their cycles interleaved with"
            + " the cpr-reboot ones above; SDK both, cpr-reboot with the state file by fd):\n\n");
    md.append(
        "| VM | n | cpr-transfer blackout | cpr-reboot blackout | transfer / reboot"
            + " | cpr-reboot blackout without the start | transfer / reboot without the start"
            + " | new QEMU start, transfer (before `migrate`, outside the blackout)"
            + " | transfer MIGRATE | transfer CONNECT_TARGET | transfer LOAD | QEMU downtime |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : rows) {
      List<Cycle> t = r.of(Driver.TRANSFER);
      List<Cycle> reboot = r.of(Driver.SDK_FD);
      Stats tb = ms(t, Cycle::blackout);
      md.append("| ")
          .append(r.config().label())
          .append(" | ")
          .append(t.size())
          .append(" | ")
          .append(tb.medianAndP90(1))
          .append(" | ")
          .append(ms(reboot, Cycle::blackout).medianAndP90(1))
          .append(" | ")
          .append(Report.ratio(tb.median(), ms(reboot, Cycle::blackout).median()))
          .append(" | ")
          .append(ms(reboot, Cycle::blackoutWithoutStart).medianAndP90(1))
          .append(" | ")
          .append(Report.ratio(tb.median(), ms(reboot, Cycle::blackoutWithoutStart).median()))
          .append(" | ")
          .append(ms(t, Cycle::start).medianAndP90(1));
      for (CprPhase p : List.of(CprPhase.MIGRATE, CprPhase.CONNECT_TARGET, CprPhase.LOAD)) {
        md.append(" | ")
            .append(ms(t, c -> c.savePhases().getOrDefault(p, Duration.ZERO)).medianAndP90(1));
      }
      List<Cycle> withDowntime = t.stream().filter(c -> c.qemuDowntime() != null).toList();
      md.append(" | ").append(ms(withDowntime, Cycle::qemuDowntime).medianAndP90(1)).append(" |\n");
    }
    md.append(
        "\nTimes in ms, median (p90). The cpr-transfer blackout runs from the old QEMU's"
            + " `STOP` event to the new QEMU's `RESUME` event (QEMU's own clock; the new QEMU is"
            + " started with `-incoming defer`, so the SDK sees its `RESUME` and the figure is exact)."
            + " The new QEMU is started before `migrate` is sent, while the VM still runs on the old"
            + " one, so its start (here: from the launch to its cpr socket's appearance) is outside"
            + " the blackout; in cpr-reboot it is inside. Its RAM is not copied: the old QEMU passes"
            + " the shared file's descriptors over the cpr channel, and only the device state goes"
            + " over the main channel. The old QEMU quits after the new one runs, outside the blackout"
            + " (`CprTransfer.quitSource`). The transfer's phases: MIGRATE is `migrate` sent to its"
            + " reply; CONNECT_TARGET the connection to the new QEMU's monitor, which answers only"
            + " once it has read the cpr channel; LOAD the new QEMU's checks and `migrate-incoming`"
            + " to the source's migration `completed` and the new QEMU running. The source stops the"
            + " VM only once the new QEMU listens on the main channel, within LOAD, so most of the"
            + " phases' time is outside the blackout. Each transfer's source was restored by a"
            + " cpr-reboot, which leaves `x-ignore-shared` on; the SDK's transfer turns it off in its"
            + " PREPARE phase, while the VM still runs, as the new QEMU starts with it off and QEMU"
            + " 10.0 otherwise fails the load.\n");
    return md.toString();
  }

  /** The SDK's cpr-exec phases, in their order. */
  static final List<CprPhase> EXEC_PHASES =
      List.of(
          CprPhase.PREFLIGHT,
          CprPhase.PREPARE,
          CprPhase.MIGRATE,
          CprPhase.CONNECT_TARGET,
          CprPhase.LOAD);

  /**
   * The cpr-exec tables: SDK against the raw client, beside cpr-transfer and cpr-reboot on the same
   * VMs, as ratios and distributions; or, when the QEMU has no cpr-exec, a line that says so. Empty
   * when no VM would have run cpr-exec (no machine-only VM).
   */
  static String execMarkdown(List<Result> results) {
    List<Result> vms = results.stream().filter(r -> r.config().transfer()).toList();
    if (vms.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder();
    List<Result> rows =
        vms.stream()
            .filter(r -> !r.of(Driver.EXEC_SDK).isEmpty() && !r.of(Driver.EXEC_RAW).isEmpty())
            .toList();
    for (Result r : vms) {
      if (r.execAbsence() != null) {
        md.append("\n**cpr-exec** on ")
            .append(r.config().label())
            .append(": not measured, ")
            .append(r.execAbsence())
            .append(".\n");
      }
    }
    if (rows.isEmpty()) {
      return md.toString();
    }
    md.append(
        "\n**cpr-exec, SDK against a raw client, beside cpr-transfer and cpr-reboot** (the same"
            + " VMs, every cycle interleaved with the ones above; the ratios are of medians, the"
            + " overhead is paired by round):\n\n");
    md.append(
        "| VM | n | cpr-exec blackout, SDK | cpr-exec blackout, raw | SDK / raw"
            + " | SDK overhead per cycle | RESUME seen, SDK / raw | no monitor, SDK | no monitor, raw"
            + " | cpr-transfer blackout | cpr-reboot blackout (SDK fd) | exec SDK / transfer"
            + " | exec SDK / reboot | exec raw / reboot raw |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : rows) {
      List<Cycle> sdk = r.of(Driver.EXEC_SDK);
      List<Cycle> raw = r.of(Driver.EXEC_RAW);
      Stats s = ms(sdk, Cycle::blackout);
      Stats w = ms(raw, Cycle::blackout);
      Stats transfer = ms(r.of(Driver.TRANSFER), Cycle::blackout);
      Stats reboot = ms(r.of(Driver.SDK_FD), Cycle::blackout);
      Stats rebootRaw = ms(r.of(Driver.RAW), Cycle::blackout);
      md.append("| ")
          .append(r.config().label())
          .append(" | ")
          .append(Math.min(sdk.size(), raw.size()))
          .append(" | ")
          .append(s.medianAndP90(1))
          .append(" | ")
          .append(w.medianAndP90(1))
          .append(" | ")
          .append(ratio(s, w))
          .append(" | ")
          .append(pairedDifference(sdk, raw, c -> millis(c.blackout())).medianAndP90(1))
          .append(" ms | ")
          .append(exact(sdk))
          .append(" / ")
          .append(exact(raw))
          .append(" | ")
          .append(ms(sdk, Cycle::start).medianAndP90(1))
          .append(" | ")
          .append(ms(raw, Cycle::start).medianAndP90(1))
          .append(" | ")
          .append(transfer.medianAndP90(1))
          .append(" | ")
          .append(reboot.medianAndP90(1))
          .append(" | ")
          .append(ratio(s, transfer))
          .append(" | ")
          .append(ratio(s, reboot))
          .append(" | ")
          .append(ratio(w, rebootRaw))
          .append(" |\n");
    }
    md.append("\n**cpr-exec blackout distributions** (ms):\n\n");
    md.append("| VM | client | n | min | p25 | median | p75 | p90 | max |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : rows) {
      for (Driver d : List.of(Driver.EXEC_SDK, Driver.EXEC_RAW)) {
        Stats st = ms(r.of(d), Cycle::blackout);
        md.append("| ")
            .append(r.config().label())
            .append(" | ")
            .append(d.label)
            .append(" | ")
            .append(st.count());
        for (double v :
            new double[] {
              st.min(), st.percentile(25), st.median(), st.percentile(75), st.p90(), st.max()
            }) {
          md.append(" | ").append(Stats.format(v, 1));
        }
        md.append(" |\n");
      }
    }
    md.append("\n**Where the SDK's cpr-exec time goes** (median (p90) ms per phase):\n\n| VM |");
    for (CprPhase p : EXEC_PHASES) {
      md.append(' ').append(p).append(" |");
    }
    md.append("\n|---|").append("---:|".repeat(EXEC_PHASES.size())).append('\n');
    for (Result r : rows) {
      md.append("| ").append(r.config().label()).append(" |");
      for (CprPhase p : EXEC_PHASES) {
        md.append(' ')
            .append(
                ms(r.of(Driver.EXEC_SDK), c -> c.savePhases().getOrDefault(p, Duration.ZERO))
                    .medianAndP90(1))
            .append(" |");
      }
      md.append('\n');
    }
    md.append(
        "\nThe cpr-exec blackout runs from the old QEMU's `STOP` event to the new QEMU's `RESUME`"
            + " event (QEMU's own clock), in the same process: QEMU saves the device state to the"
            + " file, closes its monitor, executes the new command line (the running QEMU's own,"
            + " read from `/proc/PID/cmdline`, plus `-incoming` of the file), and the new QEMU"
            + " loads the state with RAM kept in place (the shared file's descriptors survive the"
            + " exec). \"No monitor\" is from the old connection seen closed to the new one ready;"
            + " both clients try again every 10 ms (the SDK's `QmpClient.reconnect` pause). When"
            + " the new QEMU resumes the VM before a client is connected again, its `RESUME` is"
            + " lost, and the blackout ends when `query-status` first says `running`: an upper"
            + " bound (\"RESUME seen\" counts the exact ones). The SDK passes the state file by fd"
            + " (`add-fd`), checks the VM before the exec (PREFLIGHT, outside the blackout),"
            + " confirms the migration and the process id, and reads `query-status` and"
            + " `query-migrate` in the new QEMU; the raw client sends the mode, the"
            + " `cpr-exec-command`, the capabilities and `migrate`, waits for the monitor to close,"
            + " connects again and reads `query-status`. The SDK's overhead per cycle is the"
            + " median (p90) over the rounds of the SDK's cpr-exec blackout minus the raw client's"
            + " in the same round.\n");
    return md.toString();
  }

  private static String ratio(Stats a, Stats b) {
    return a.isEmpty() || b.isEmpty() ? "-" : Report.ratio(a.median(), b.median());
  }

  private static String exact(List<Cycle> cycles) {
    return cycles.stream().filter(Cycle::blackoutExact).count() + "/" + cycles.size();
  }
}
