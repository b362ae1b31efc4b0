package io.github.qemucpr.examples.bench;

import io.github.qemucpr.examples.bench.CprCycles.Driver;
import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The benchmark entry point that {@code scripts/bench.sh} runs:
 *
 * <pre>
 * java -cp cpr.jar io.github.qemucpr.examples.bench.Bench [--quick] [--out DIR] [--work DIR]
 *     [--jmh-json FILE] [--cpr-jar FILE] [--parts blackout,size,qmp,startup,clients,cold]
 *     [--go-peer FILE] [--python-peer FILE]
 * </pre>
 *
 * <p>{@code --go-peer} names the go-qemu program built from {@code src/main/go/qmppeer} and {@code
 * --python-peer} the script {@code src/main/python/qmp_sequential.py}; the QMP part runs each, as a
 * process of its own, among its clients. Without them their rows are left out.
 *
 * <p>It writes {@code DIR/benchmarks.md}, and into the work directory the data and the gnuplot
 * script of the blackout plot, which draws {@code DIR/benchmarks-blackout.png}. Nothing here
 * asserts a time: benchmarks are not tests.
 *
 * <p>For experiments with the blackout part, {@code -Dbench.warmup=N} runs N warm-up cycles per
 * client instead of one, {@code -Dbench.rounds=N} N rounds per VM instead of the run's own, and
 * {@code -Dbench.configs=TEXT} only the VMs whose label contains TEXT ({@code -Dbench.command=TEXT}
 * is the command the report names):
 *
 * <pre>
 * java -Dbench.warmup=150 "-Dbench.configs=machine only, 256 MiB" -cp cpr.jar \
 *     io.github.qemucpr.examples.bench.Bench --parts blackout --out /tmp/warm --work /tmp/work
 * </pre>
 */
public final class Bench {
  /** The plot's file name, beside the report. */
  public static final String PLOT = "benchmarks-blackout.png";

  /** The report's file name. */
  public static final String REPORT = "benchmarks.md";

  /**
   * What to run.
   *
   * @param quick the short run
   * @param out the report's directory
   * @param work the directory for data and scratch files
   * @param jmhJson JMH's results, or null
   * @param cprJar cpr.jar, or null (then the start-up and many-clients parts do not run)
   * @param parts the parts to run
   * @param goPeer the go-qemu peer program of the QMP part, or null
   * @param pythonPeer the raw Python peer script of the QMP part, or null
   */
  public record Options(
      boolean quick,
      Path out,
      Path work,
      @Nullable Path jmhJson,
      @Nullable Path cprJar,
      Set<String> parts,
      @Nullable Path goPeer,
      @Nullable Path pythonPeer) {

    /** What to run, without the QMP part's peers. */
    public Options(
        boolean quick,
        Path out,
        Path work,
        @Nullable Path jmhJson,
        @Nullable Path cprJar,
        Set<String> parts) {
      this(quick, out, work, jmhJson, cprJar, parts, null, null);
    }
  }

  private Bench() {}

  /** Runs the benchmarks that the arguments ask for. */
  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = Path.of("docs");
    Path work = Path.of("target", "bench");
    Path jmh = null;
    Path jar = null;
    Path goPeer = null;
    Path pythonPeer = null;
    Set<String> parts = Set.of("blackout", "size", "qmp", "startup", "clients", "cold");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--out" -> out = Path.of(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--jmh-json" -> jmh = Path.of(args[++i]);
        case "--cpr-jar" -> jar = Path.of(args[++i]);
        case "--parts" -> parts = Set.of(args[++i].split(","));
        case "--go-peer" -> goPeer = Path.of(args[++i]);
        case "--python-peer" -> pythonPeer = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    Path report =
        run(new Options(quick, out, work, jmh, jar, parts, goPeer, pythonPeer), System.out);
    System.out.println("wrote " + report);
  }

  /** Runs the benchmarks and writes the report; returns its path. */
  public static Path run(Options o, PrintStream log) throws Exception {
    Instant began = Instant.now();
    String loadBefore = Report.loadAverage();
    Files.createDirectories(o.out());
    Files.createDirectories(o.work());
    Path scratch = Files.createTempDirectory(o.work().toAbsolutePath(), "run-");
    StringBuilder md = new StringBuilder();
    List<String> targets = new ArrayList<>();
    try {
      List<BlackoutBenchmark.Result> blackout = List.of();
      if (o.parts().contains("blackout")) {
        log.println("1. blackout per cpr-reboot cycle, SDK and raw client interleaved");
        blackout = BlackoutBenchmark.run(o.quick(), scratch, log);
      }
      List<StateSizeBenchmark.Result> sizes = List.of();
      List<StateSizeBenchmark.DiskSpeed> disk = new ArrayList<>();
      if (o.parts().contains("size")) {
        log.println("2. in place against copied, with the disk's speed");
        int ddMiB = o.quick() ? 256 : 1024;
        disk.add(StateSizeBenchmark.measureDisk(scratch, ddMiB));
        sizes = StateSizeBenchmark.run(o.quick(), scratch, log);
        disk.add(StateSizeBenchmark.measureDisk(scratch, ddMiB));
      }
      Map<QmpSpeedBenchmark.Client, QmpSpeedBenchmark.Result> qmp = Map.of();
      StartupBenchmark.Result startup = null;
      if (o.parts().contains("qmp") || o.parts().contains("startup")) {
        try (QemuLauncher vm = QemuLauncher.builder().memoryMiB(64).build();
            QemuInstance qemu = vm.start()) {
          if (o.parts().contains("qmp")) {
            log.println("3. QMP speed, query-status");
            qmp =
                QmpSpeedBenchmark.run(
                    qemu, o.quick(), new QmpSpeedBenchmark.Peers(o.goPeer(), o.pythonPeer()), log);
          }
          if (o.parts().contains("startup") && o.cprJar() != null) {
            log.println("4. start-up of the cpr tool");
            startup = StartupBenchmark.run(qemu.qmpSocket(), o.cprJar(), o.quick(), log);
          }
        }
      }
      String manyClients = null;
      if (o.parts().contains("clients") && o.cprJar() != null) {
        log.println("5. many idle clients: threads and heap per client");
        manyClients = manyClients(o.cprJar(), o.work(), log, targets);
      }
      ColdStartBenchmark.Result cold = null;
      if (o.parts().contains("cold") && o.cprJar() != null) {
        log.println("6. cold start: the first cpr-reboot cycle of a fresh JVM");
        cold = ColdStartBenchmark.run(o.cprJar(), scratch, o.quick(), log);
        addColdTargets(cold, targets);
      }
      List<JmhResults.Row> jmh =
          o.jmhJson() != null && Files.isRegularFile(o.jmhJson())
              ? JmhResults.read(o.jmhJson())
              : List.of();

      md.append("# Benchmarks\n\n");
      md.append("Measured by `")
          .append(
              System.getProperty(
                  "bench.command", "scripts/bench.sh" + (o.quick() ? " --quick" : "")))
          .append("` on ")
          .append(began.truncatedTo(ChronoUnit.SECONDS))
          .append(", in ")
          .append(Duration.between(began, Instant.now()).toSeconds())
          .append(" s (")
          .append(
              o.quick() ? "the quick run: few samples, figures only indicative" : "the full run")
          .append(
              "). Every comparison below was measured side by side in this one run, the"
                  + " clients interleaved; the machine is shared and noisy, so read the ratios rather"
                  + " than the absolute times. Load average at the start ")
          .append(loadBefore)
          .append(", at the end ")
          .append(Report.loadAverage())
          .append(".\n\n");
      md.append(Report.machine()).append('\n');
      md.append(
          "Regenerate: `scripts/bench.sh` (full run, about 10 to 20 minutes) or"
              + " `scripts/bench.sh --quick` (under 3 minutes). The code is in"
              + " `cpr-examples/src/main/java/io/github/qemucpr/examples/bench` and, for JMH,"
              + " `cpr-examples/src/test/java/io/github/qemucpr/examples/bench`.\n\n");
      md.append("## Targets\n\n").append("<!-- targets -->\n\n");

      if (!blackout.isEmpty()) {
        md.append(
            "## 1. Blackout per cpr-reboot cycle, SDK against a raw client, with"
                + " cpr-transfer and cpr-exec\n\n");
        md.append(
            "Each VM goes through cpr-reboot cycles: save (the VM stops, its state goes to"
                + " a file, QEMU quits), start a new QEMU with `-incoming defer`, restore (the VM runs"
                + " again). The SDK runs `CprReboot.save(qmp)...run()` and `CprReboot.restore(qmp)"
                + "...run()`; the raw client writes the same QMP JSON lines over a JDK `SocketChannel`"
                + " and does the same file steps (a private `.partial` file, fsync, SHA-256, a manifest"
                + " written atomically, renames, fsync of the directory; on restore the SHA-256 check"
                + " and the manifest marks). The raw client cannot pass a descriptor (the JDK's Unix"
                + " channels have no SCM_RIGHTS), so QEMU opens the state file by path; the SDK runs"
                + " both ways. On the machine-only VMs, each round also runs one SDK cpr-transfer"
                + " (`CprTransfer.from(qmp)...run()`) to a new QEMU, which then becomes the next"
                + " cycle's source, and, on a QEMU that has cpr-exec (10.2 or later, read from its"
                + " schema), one SDK cpr-exec (`CprExec.of(qmp)...run()`) and one raw cpr-exec, in"
                + " which the same QEMU process runs on: see the last tables. Each round runs every client once, in an order"
                + " that rotates; one warm-up cycle each is not counted. RAM is a shared file in"
                + " `/dev/shm`, saved in place. The test guest (Linux with qemu-ga) runs with its agent"
                + " connected; in the last row it is also suspended through its agent first"
                + " (`guest-suspend-ram`) and woken after, as a guest with VFIO devices must be, every"
                + " cycle on the same boot.\n\n");
        md.append(BlackoutBenchmark.markdown(blackout)).append('\n');
        md.append(
            "Notes:\n\n"
                + "- The SDK does more than the raw client inside the blackout. Its restore checks the"
                + " new QEMU before touching it: `query-status`, `query-migrate`,"
                + " `query-migrate-capabilities`, `query-migrate-parameters`, `query-memdev` and three"
                + " QOM reads per RAM backend, sent as one batch (2 round trips in all with the"
                + " changes that follow, which go as a second batch while the manifest's \"restore"
                + " started\" mark is written); on QEMU 9.1 and later it does not ask"
                + " `query-qmp-schema` (which QEMU takes tens of ms to build) whether"
                + " `migrate-incoming` takes `exit-on-error`. Its save confirms the end of the"
                + " migration with `query-migrate` and `query-status` after the `completed` event;"
                + " the raw client trusts the event. QEMU serves a monitor's commands one at a time,"
                + " about 0.14 ms each here (section 3), so batching hides the SDK's round trips but"
                + " not QEMU's own work on each check. The save checks the source before the VM stops"
                + " (PREFLIGHT, outside the blackout).\n"
                + "- The suspended test guest: its image restores the ICH9 LPC's power-management"
                + " registers after each S3 resume (SeaBIOS leaves them cleared), so the guest"
                + " suspends again in the same boot and every cycle of that row runs on one boot, as"
                + " the others do.\n\n");
        addBlackoutTargets(blackout, targets);
      }
      if (!sizes.isEmpty()) {
        md.append("## 2. RAM in place against RAM copied\n\n");
        md.append("![blackout against guest RAM size](").append(PLOT).append(")\n\n");
        md.append(
            "The SDK saves and restores machine-only VMs (state file by fd) whose RAM was"
                + " first filled with a pattern: in place (a shared `memory-backend-file` in"
                + " `/dev/shm`, `x-ignore-shared`), and copied into the state file (a"
                + " `memory-backend-memfd`), also with QEMU's `mapped-ram` capability (RAM pages at"
                + " fixed offsets of the file) and with `mapped-ram` plus `multifd`, set on QEMU before"
                + " the save; the SDK's restore applies the capabilities that its manifest records.\n\n");
        md.append(StateSizeBenchmark.markdown(sizes, disk)).append('\n');
        addSizeTargets(sizes, targets);
        Map<Integer, Double> transfer = transferSeconds(blackout);
        Files.writeString(
            o.work().resolve("blackout-vs-ram.dat"), StateSizeBenchmark.plotData(sizes, transfer));
        Files.writeString(
            o.work().resolve("blackout-vs-ram.gp"),
            gnuplot(
                o.work().resolve("blackout-vs-ram.dat").toAbsolutePath(),
                o.out().resolve(PLOT).toAbsolutePath(),
                !transfer.isEmpty(),
                Report.qemuVersion()));
      }
      if (!qmp.isEmpty()) {
        md.append("## 3. QMP speed: `query-status` round trips\n\n");
        md.append(
                "One machine-only QEMU; each client in turn on its monitor (QEMU serves one"
                    + " client per monitor) for ")
            .append(o.quick() ? "1 s" : "3 s")
            .append(" per round, ")
            .append(o.quick() ? "1 round" : "3 rounds")
            .append(
                " in rotating order, after a"
                    + " warm-up. The SDK's threads share one `QmpClient`. The raw clients write"
                    + " `{\"execute\":\"query-status\"}` lines and count reply lines by their first"
                    + " bytes, allocating nothing.\n\n"
                    + "Two peers run in the same rotation, each a process of its own that connects,"
                    + " sends one `query-status` to warm up and then measures on its own (its start-up"
                    + " is not counted): a Go program on go-qemu (`cpr-examples/src/main/go/qmppeer`,"
                    + " Debian's golang-github-digitalocean-go-qemu-dev, Go 1.19) that calls"
                    + " `qmp.SocketMonitor.Run` on one goroutine, then on 16 goroutines sharing the"
                    + " one monitor; and a raw Python client (`cpr-examples/src/main/python/"
                    + "qmp_sequential.py`, the standard library's `socket` only) that writes a line"
                    + " and reads its reply line before the next. go-qemu's `Run` holds the monitor's"
                    + " mutex from its write until its reply has arrived, so its 16 goroutines take"
                    + " turns with one command on the wire at a time: it cannot pipeline, and its"
                    + " latency counts the wait for the mutex.\n\n");
        List<JmhResults.Row> rows = jmh;
        md.append(QmpSpeedBenchmark.markdown(qmp, rows)).append('\n');
        addQmpTargets(qmp, jmh, targets);
      }
      if (startup != null) {
        md.append("## 4. Start-up: `cpr status` against a Python one-liner\n\n");
        md.append(StartupBenchmark.markdown(startup)).append('\n');
        md.append("<details><summary>The one-liner</summary>\n\n```sh\npython3 -c \"")
            .append(StartupBenchmark.PYTHON.replace("\"", "\\\""))
            .append("\" SOCKET\n```\n\n" + "</details>\n\n");
      }
      if (manyClients != null) {
        md.append("## 5. Many idle clients: threads and heap per `QmpClient`\n\n");
        md.append(
            "A JVM of its own (`java -XX:+UseSerialGC -cp cpr.jar"
                + " io.github.qemucpr.examples.bench.ManyClientsBenchmark`) connects N clients to N"
                + " fake monitors served by one other process (one thread, an NIO selector; its"
                + " `query-commands` list as long as QEMU 10.0's), subscribes a listener on each,"
                + " runs one `query-status` on each (the fake then sends one `RESUME` event), with"
                + " the hand-written command and with the generated one (which asks"
                + " `query-commands` first), lets them idle 3 s, and counts the platform threads"
                + " added (against the JVM before any client) and the heap retained after full"
                + " collections (against the lesser of the JVM before the clients and after they"
                + " were closed, once as many clients were connected, used and closed to warm it"
                + " up).\n\n");
        md.append(manyClients).append('\n');
      }
      if (cold != null) {
        md.append("## 6. Cold start: the first cpr-reboot cycle of a fresh JVM\n\n");
        md.append(
            "A manager saves a VM rarely, so its SDK code runs cold. Each sample is a JVM of its"
                + " own (`java -cp cpr.jar io.github.qemucpr.examples.bench.ColdStartBenchmark"
                + " DRIVER DIR`) that starts a machine-only VM (256 MiB, RAM in place), connects"
                + " to it, and runs one cpr-reboot cycle with no warm-up: the SDK (state file by"
                + " fd) or the raw client of part 1, in turns whose order alternates by round."
                + " Part 1 has the same cycles warm. A JVM that has idled for an hour is not"
                + " measured: its compiled code stays, so it lies between the two.\n\n");
        md.append(ColdStartBenchmark.markdown(cold)).append('\n');
      }
    } finally {
      CprCycles.deleteRecursively(scratch);
    }
    String targetTable = "| target | measured | met |\n|---|---|---|\n" + String.join("", targets);
    String text = md.toString().replace("<!-- targets -->\n", targetTable);
    Path report = o.out().resolve(REPORT);
    Files.writeString(report, text);
    return report;
  }

  /**
   * Runs {@link ManyClientsBenchmark} in a JVM of its own, so that nothing else of this run counts
   * in its threads and heap; returns its table and adds its target rows.
   */
  private static String manyClients(Path cprJar, Path work, PrintStream log, List<String> targets)
      throws Exception {
    Path table = work.resolve("many-clients.md");
    Path rows = work.resolve("many-clients-targets.md");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-XX:+UseSerialGC",
                "-cp",
                cprJar.toString(),
                ManyClientsBenchmark.class.getName(),
                "--markdown",
                table.toString(),
                "--targets",
                rows.toString())
            .redirectErrorStream(true)
            .start();
    try (var out = p.inputReader()) {
      out.lines().filter(l -> l.startsWith("  ")).forEach(log::println);
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ManyClientsBenchmark failed: exit " + p.exitValue());
    }
    targets.add(Files.readString(rows));
    return Files.readString(table);
  }

  /** The median cpr-transfer blackout of each machine-only VM, in s, by RAM size in MiB. */
  private static Map<Integer, Double> transferSeconds(List<BlackoutBenchmark.Result> blackout) {
    Map<Integer, Double> m = new java.util.TreeMap<>();
    for (BlackoutBenchmark.Result r : blackout) {
      if (!r.config().testGuest() && !r.of(Driver.TRANSFER).isEmpty()) {
        m.put(
            r.config().mib(),
            BlackoutBenchmark.ms(r.of(Driver.TRANSFER), CprCycles.Cycle::blackout).median() / 1000);
      }
    }
    return m;
  }

  private static String gnuplot(Path data, Path png, boolean transfer, String qemu) {
    return String.join(
        "\n",
        "set terminal pngcairo size 900,560 font 'sans,11'",
        "set output '" + png + "'",
        "set title 'blackout against guest RAM (QEMU "
            + qemu
            + ", TCG; cpr-reboot with RAM filled first)'",
        "set xlabel 'guest RAM (MiB)'",
        "set ylabel 'blackout, median (s)'",
        "set logscale x 2",
        "set logscale y 10",
        "set xrange [200:5200]",
        "set xtics (256, 512, 1024, 2048, 4096)",
        "set grid",
        "set key top left",
        "plot '"
            + data
            + "' using 1:2 with linespoints lw 2 pt 7 title 'in place (shared file,"
            + " x-ignore-shared)', \\",
        "     '' using 1:3 with linespoints lw 2 pt 5 title 'copied (memfd)', \\",
        "     '' using 1:4 with linespoints lw 2 pt 9 title 'copied, mapped-ram', \\",
        "     '' using 1:5 with linespoints lw 2 pt 11 title 'copied, mapped-ram + multifd'"
            + (transfer ? ", \\" : ""),
        transfer
            ? "     '' using 1:6 with linespoints lw 2 pt 13 title 'cpr-transfer (shared file,"
                + " RAM not filled; part 1)'"
            : "",
        "");
  }

  private static String row(String target, String measured, boolean met) {
    return "| " + target + " | " + measured + " | " + (met ? "yes" : "**no**") + " |\n";
  }

  private static void addBlackoutTargets(
      List<BlackoutBenchmark.Result> results, List<String> targets) {
    for (BlackoutBenchmark.Result r : results) {
      List<CprCycles.Cycle> raw = r.of(Driver.RAW);
      for (Driver d : List.of(Driver.SDK_FD, Driver.SDK_PATH)) {
        double ratio =
            BlackoutBenchmark.ms(r.of(d), CprCycles.Cycle::blackout).median()
                / BlackoutBenchmark.ms(raw, CprCycles.Cycle::blackout).median();
        targets.add(
            row(
                "SDK/raw blackout <= 1.05, median: " + r.config().label() + ", " + d.label,
                Stats.format(ratio, 2),
                ratio <= 1.05));
      }
      for (Driver d : List.of(Driver.SDK_FD, Driver.SDK_PATH)) {
        double overhead =
            BlackoutBenchmark.pairedDifference(
                    r.of(d), raw, c -> BlackoutBenchmark.millis(c.blackoutWithoutStart()))
                .median();
        targets.add(
            row(
                "SDK overhead < 2 ms per cycle: " + r.config().label() + ", " + d.label,
                Stats.format(overhead, 1) + " ms",
                overhead < 2));
      }
    }
    List<BlackoutBenchmark.Result> machine =
        results.stream().filter(r -> !r.config().testGuest()).toList();
    if (machine.size() >= 2) {
      BlackoutBenchmark.Result small = machine.get(0);
      BlackoutBenchmark.Result large = machine.get(machine.size() - 1);
      double a = BlackoutBenchmark.ms(small.of(Driver.SDK_FD), CprCycles.Cycle::blackout).median();
      double b = BlackoutBenchmark.ms(large.of(Driver.SDK_FD), CprCycles.Cycle::blackout).median();
      targets.add(
          row(
              "blackout in place flat within 20%, "
                  + small.config().mib()
                  + " MiB to "
                  + large.config().mib()
                  + " MiB (SDK, fd)",
              Stats.format(a, 1)
                  + " ms to "
                  + Stats.format(b, 1)
                  + " ms: x"
                  + Stats.format(b / a, 2),
              Math.abs(b / a - 1) <= 0.2));
    }
  }

  private static void addColdTargets(ColdStartBenchmark.Result cold, List<String> targets) {
    double ratio = cold.blackout(Driver.SDK_FD).median() / cold.blackout(Driver.RAW).median();
    targets.add(
        row(
            "SDK/raw blackout <= 1.05, median, cold (the first cycle of a fresh JVM, machine"
                + " only, 256 MiB, SDK by fd)",
            Stats.format(ratio, 2),
            ratio <= 1.05));
    double overhead = cold.overhead().median();
    targets.add(
        row(
            "SDK overhead < 2 ms per cycle, cold (the first cycle of a fresh JVM)",
            Stats.format(overhead, 1) + " ms",
            overhead < 2));
  }

  private static void addSizeTargets(
      List<StateSizeBenchmark.Result> results, List<String> targets) {
    for (StateSizeBenchmark.Result r : results) {
      if (r.mode() == StateSizeBenchmark.Mode.IN_PLACE && !r.cycles().isEmpty()) {
        long bytes = r.cycles().get(0).stateBytes();
        targets.add(
            row(
                "state file < 1 MiB with RAM in place: " + r.mib() + " MiB, RAM filled",
                Report.kib(bytes),
                bytes < (1 << 20)));
      }
    }
  }

  /** The issue 14 peer comparison: the SDK against go-qemu and the raw clients. */
  private static void addPeerTargets(
      Map<QmpSpeedBenchmark.Client, QmpSpeedBenchmark.Result> qmp, List<String> targets) {
    QmpSpeedBenchmark.Client sequential = QmpSpeedBenchmark.Client.SDK_SEQUENTIAL;
    QmpSpeedBenchmark.Client sixteen = QmpSpeedBenchmark.Client.SDK_16;
    targets.add(ratioRow(qmp, sequential, QmpSpeedBenchmark.Client.GO_QEMU_SEQUENTIAL, 1.0));
    targets.add(ratioRow(qmp, sequential, QmpSpeedBenchmark.Client.RAW_SEQUENTIAL, 0.95));
    targets.add(ratioRow(qmp, sequential, QmpSpeedBenchmark.Client.PYTHON_SEQUENTIAL, 0.95));
    targets.add(ratioRow(qmp, sixteen, QmpSpeedBenchmark.Client.RAW_PIPELINED, 1.0));
    targets.add(ratioRow(qmp, sixteen, QmpSpeedBenchmark.Client.GO_QEMU_16, 1.0));
  }

  /**
   * A target row "{@code a} / {@code b} >= {@code least}" on the median rates; a client that did
   * not run makes it "not measured".
   */
  static String ratioRow(
      Map<QmpSpeedBenchmark.Client, QmpSpeedBenchmark.Result> qmp,
      QmpSpeedBenchmark.Client a,
      QmpSpeedBenchmark.Client b,
      double least) {
    String target = a.label + " / " + b.label + " >= " + Stats.format(least, 2);
    double x = QmpSpeedBenchmark.rate(qmp, a);
    double y = QmpSpeedBenchmark.rate(qmp, b);
    if (Double.isNaN(x) || Double.isNaN(y)) {
      return "| " + target + " | not measured | - |\n";
    }
    return row(
        target,
        Stats.format(x, 0) + " / " + Stats.format(y, 0) + "/s = " + Report.ratio(x, y),
        x >= least * y);
  }

  private static void addQmpTargets(
      Map<QmpSpeedBenchmark.Client, QmpSpeedBenchmark.Result> qmp,
      List<JmhResults.Row> jmh,
      List<String> targets) {
    addPeerTargets(qmp, targets);
    double t16 = Maps.present(qmp, QmpSpeedBenchmark.Client.SDK_16).rate();
    double pipelined = Maps.present(qmp, QmpSpeedBenchmark.Client.RAW_PIPELINED).rate();
    double sequential = Maps.present(qmp, QmpSpeedBenchmark.Client.RAW_SEQUENTIAL).rate();
    targets.add(
        row(
            "SDK, 16 threads >= 0.95 of raw pipelined",
            Stats.format(t16, 0)
                + " / "
                + Stats.format(pipelined, 0)
                + "/s = "
                + Report.ratio(t16, pipelined),
            t16 >= 0.95 * pipelined));
    targets.add(
        row(
            "SDK, 16 threads beats raw sequential",
            Stats.format(t16, 0)
                + " / "
                + Stats.format(sequential, 0)
                + "/s = "
                + Report.ratio(t16, sequential),
            t16 > sequential));
    for (JmhResults.Row r : jmh) {
      if (r.name().contains("sdk")) {
        targets.add(
            row(
                "allocation < 4 KiB per command: " + r.name(),
                Stats.format(r.bytesPerOp(), 0) + " B/op",
                r.bytesPerOp() < 4096));
      }
    }
  }
}
