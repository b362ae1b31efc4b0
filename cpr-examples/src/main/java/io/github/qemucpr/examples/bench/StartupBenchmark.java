package io.github.qemucpr.examples.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Part 4: the whole-process time of {@code java -jar cpr.jar status}, and of the same through the
 * {@code cpr} launcher script with its class-data archive in place, against a Python one-liner that
 * sends the same QMP commands and prints the same facts. Runs rotate.
 */
final class StartupBenchmark {
  /**
   * The one-liner: greeting, {@code qmp_capabilities}, and the queries that {@code cpr status}
   * makes (version, status, migration, its mode, the memory backends, their QOM types, the file
   * backends' paths).
   */
  static final String PYTHON =
      String.join(
          ";",
          "import socket,json,sys",
          "s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);f=s.makefile('rw');f.readline()",
          "c=lambda x,a=None:(f.write(json.dumps({'execute':x,'arguments':a or {}})+'\\n'),f.flush(),"
              + "next(r for r in iter(lambda:json.loads(f.readline()),None) if 'event' not in r))"
              + "[2].get('return')",
          "c('qmp_capabilities');v=c('query-version');st=c('query-status');m=c('query-migrate')",
          "p=c('query-migrate-parameters');md=c('query-memdev')",
          "t={o['name']:o['type'] for o in c('qom-list',{'path':'/objects'})}",
          "print('QEMU',v['qemu']);print('run state',st['status']);"
              + "print('migration',m.get('status','none'),'mode',p.get('mode'))",
          "[print('memory',b.get('id'),b['size']>>20,'MiB',t.get(b.get('id')),'share',b['share'],"
              + "c('qom-get',{'path':'/objects/'+b['id'],'property':'mem-path'})"
              + " if 'file' in t.get(b.get('id'),'') else '') for b in md]");

  /** The runs of both commands, in ms, and what they were. */
  record Result(
      List<String> javaCommand,
      List<String> pythonCommand,
      List<Double> javaMs,
      List<Double> pythonMs,
      List<Double> launcherMs) {}

  private StartupBenchmark() {}

  static Result run(Path qmpSocket, Path cprJar, boolean quick, PrintStream log)
      throws IOException, InterruptedException {
    int runs = quick ? 3 : 10;
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String python =
        Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    List<String> java =
        List.of(javaBin, "-jar", cprJar.toString(), "status", "--qmp", qmpSocket.toString());
    List<String> py = List.of(python, "-c", PYTHON, qmpSocket.toString());
    // The launcher from the source tree, its archive in a cache of its own: the first run makes it.
    Path script = cprJar.toAbsolutePath().resolveSibling("../src/main/sh/cpr").normalize();
    Path cache = Files.createTempDirectory("bench-startup-cache");
    Map<String, String> env =
        Map.of(
            "CPR_JAR",
            cprJar.toString(),
            "XDG_CACHE_HOME",
            cache.toString(),
            "JAVA_HOME",
            System.getProperty("java.home"));
    List<String> launcher = List.of(script.toString(), "status", "--qmp", qmpSocket.toString());
    try {
      time(java, "run state", Map.of());
      time(py, "run state", Map.of()); // warm-up: the page cache
      time(launcher, "run state", env); // writes the archive
      try (Stream<Path> archives = Files.walk(cache)) {
        if (archives.noneMatch(f -> f.toString().endsWith(".jsa"))) {
          throw new IOException("the launcher wrote no class-data archive under " + cache);
        }
      }
      List<Double> j = new ArrayList<>();
      List<Double> p = new ArrayList<>();
      List<Double> l = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        for (int k = 0; k < 3; k++) {
          switch ((i + k) % 3) {
            case 0 -> j.add(time(java, "run state", Map.of()));
            case 1 -> p.add(time(py, "run state", Map.of()));
            default -> l.add(time(launcher, "run state", env));
          }
        }
      }
      Result r = new Result(java, py, j, p, l);
      log.printf(
          "  java -jar cpr.jar status: %.0f ms, cpr launcher (archive in place): %.0f ms,"
              + " python3 one-liner: %.0f ms (medians)%n",
          Stats.of(j).median(), Stats.of(l).median(), Stats.of(p).median());
      return r;
    } finally {
      try (Stream<Path> files = Files.walk(cache)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /** Runs a command to its end; returns the milliseconds from its start to its exit. */
  private static double time(List<String> command, String expected, Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("bench-startup", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().putAll(env);
      long start = System.nanoTime();
      Process p =
          pb.redirectErrorStream(true)
              .redirectInput(new File("/dev/null"))
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("still running after 60 s: " + command);
      }
      double ms = (System.nanoTime() - start) / 1e6;
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0 || !text.contains(expected)) {
        throw new IOException("failed (exit " + p.exitValue() + "): " + command + "\n" + text);
      }
      return ms;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  static String markdown(Result r) {
    Stats j = Stats.of(r.javaMs());
    Stats p = Stats.of(r.pythonMs());
    Stats l = Stats.of(r.launcherMs());
    return "| command | n | ms, median (p90) | min |\n|---|---:|---:|---:|\n"
        + "| `java -jar cpr.jar status --qmp SOCKET` | "
        + j.count()
        + " | "
        + j.medianAndP90(0)
        + " | "
        + Stats.format(j.min(), 0)
        + " |\n"
        + "| `cpr-examples/src/main/sh/cpr status --qmp SOCKET` (the launcher, archive in place) | "
        + l.count()
        + " | "
        + l.medianAndP90(0)
        + " | "
        + Stats.format(l.min(), 0)
        + " |\n"
        + "| `python3 -c '...' SOCKET` (the same queries) | "
        + p.count()
        + " | "
        + p.medianAndP90(0)
        + " | "
        + Stats.format(p.min(), 0)
        + " |\n\n"
        + "Ratio java / python3, medians: **"
        + Report.ratio(j.median(), p.median())
        + "**; launcher / python3: **"
        + Report.ratio(l.median(), p.median())
        + "** (target <= 5). From"
        + " the process's start to its exit, output written. The Python run, QMP exchange included, bounds"
        + " what the same queries cost; the rest of the tool's time is the JVM's start-up, class"
        + " loading and cold code.\n";
  }
}
