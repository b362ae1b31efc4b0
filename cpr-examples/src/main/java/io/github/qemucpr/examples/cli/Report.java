package io.github.qemucpr.examples.cli;

import io.github.qemucpr.api.CprException;
import io.github.qemucpr.api.CprPhase;
import io.github.qemucpr.api.CprPreflightException;
import io.github.qemucpr.api.CprProgressEvent;
import io.github.qemucpr.api.CprProgressListener;
import io.github.qemucpr.api.CprSaveException;
import io.github.qemucpr.api.CprTransferException;
import io.github.qemucpr.api.PreflightItem;
import io.github.qemucpr.api.PreflightReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The output of one command: progress on stderr as it happens, with the time since the command
 * started; then the final report on stdout, as text or as one JSON object ({@code --json}) with the
 * result or the failure, the phase timings and the preflight items. Single-threaded.
 */
final class Report {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final String command;
  private final boolean json;
  private final PrintWriter out;
  private final PrintWriter err;
  private final long startNanos = System.nanoTime();
  private final List<PhaseTiming> phases = new ArrayList<>();
  private @Nullable PreflightReport preflight;
  private @Nullable Path qmpSocket;
  private @Nullable Path stateFile;

  /** The time a phase took and how it ended. */
  private static final class PhaseTiming {
    final CprPhase phase;
    final Duration startedAt;
    @Nullable Duration took;
    String outcome = "started";
    String message = "";

    PhaseTiming(CprPhase phase, Duration startedAt) {
      this.phase = phase;
      this.startedAt = startedAt;
    }
  }

  Report(String command, boolean json, PrintWriter out, PrintWriter err) {
    this.command = command;
    this.json = json;
    this.out = out;
    this.err = err;
  }

  /** Names the QMP socket and state file, for the advice on failure. */
  Report target(Path qmpSocket, @Nullable Path stateFile) {
    this.qmpSocket = qmpSocket;
    this.stateFile = stateFile;
    return this;
  }

  private Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** A progress line on stderr. */
  void step(String message) {
    err.printf(Locale.ROOT, "[%7.3fs] %s%n", seconds(elapsed()), message);
    err.flush();
  }

  /** A listener that prints each phase as it starts and ends, and records its timing. */
  CprProgressListener listener() {
    return this::onProgress;
  }

  private void onProgress(CprProgressEvent e) {
    Duration now = elapsed();
    PhaseTiming current = phases.isEmpty() ? null : phases.get(phases.size() - 1);
    String detail;
    switch (e.kind()) {
      case STARTED:
        current = new PhaseTiming(e.phase(), now);
        phases.add(current);
        detail = "started: " + e.message();
        break;
      case FINISHED:
      case FAILED:
        if (current != null && current.phase == e.phase()) {
          current.took = now.minus(current.startedAt);
          current.outcome = e.kind() == CprProgressEvent.Kind.FINISHED ? "finished" : "failed";
          current.message = e.message();
          detail = current.outcome + " in " + format(current.took) + ": " + e.message();
        } else {
          detail = e.kind().name().toLowerCase(Locale.ROOT) + ": " + e.message();
        }
        break;
      case ROLLBACK:
        detail = "rollback: " + e.message();
        break;
      default:
        detail = e.message();
        break;
    }
    step(String.format(Locale.ROOT, "%-13s %s", e.phase(), detail));
  }

  /** The preflight report to show with the result or the failure. */
  void preflight(PreflightReport report) {
    this.preflight = report;
  }

  /** Replaces the measured phase timings by those of the SDK's result. */
  void phaseDurations(Map<CprPhase, Duration> durations) {
    List<PhaseTiming> fromResult = new ArrayList<>();
    durations.forEach(
        (phase, took) -> {
          PhaseTiming t =
              phases.stream()
                  .filter(p -> p.phase == phase)
                  .findFirst()
                  .orElse(new PhaseTiming(phase, Duration.ZERO));
          t.took = took;
          t.outcome = "finished";
          fromResult.add(t);
        });
    phases.clear();
    phases.addAll(fromResult);
  }

  /**
   * Prints the result and returns {@link ExitStatus#OK}'s code.
   *
   * @param result the result as JSON, under {@code "result"}
   * @param text the result as text
   */
  int success(ObjectNode result, String text) {
    return finish(ExitStatus.OK, result, null, text);
  }

  /**
   * Prints a result that is not a success, such as a check that found errors.
   *
   * @param status the exit status
   * @param result the result as JSON, under {@code "result"}
   * @param text the result as text
   */
  int outcome(ExitStatus status, ObjectNode result, String text) {
    return finish(status, result, null, text);
  }

  /** Prints a failure as advice and returns its exit code. */
  int failure(Throwable failure) {
    if (failure instanceof CprPreflightException) {
      preflight(((CprPreflightException) failure).report());
    }
    Advice advice = Advice.of(failure, qmpSocket, stateFile);
    step(
        command
            + " failed: exit "
            + advice.status().code()
            + " ("
            + advice.status().meaning()
            + ")");
    ObjectNode error = JSON.createObjectNode();
    error.put("type", failure.getClass().getSimpleName());
    error.put("message", advice.what());
    error.put("advice", advice.todo());
    if (failure instanceof CprException) {
      CprException e = (CprException) failure;
      error.put("phase", e.phase().name());
      error.put("qemuError", e.qemuError());
      error.put("vmState", e.vmState() != null ? e.vmState().toString() : null);
      error.put("recovery", e.recovery().name());
      if (e instanceof CprSaveException) {
        error.put("checkpointSaved", ((CprSaveException) e).checkpointSaved());
      }
      if (e instanceof CprTransferException) {
        error.put("vmLocation", ((CprTransferException) e).vmLocation().name());
      }
      if (e instanceof io.github.qemucpr.api.CprExecException) {
        io.github.qemucpr.api.CprExecException x = (io.github.qemucpr.api.CprExecException) e;
        error.put("vmLocation", x.vmLocation().name());
        error.put("stateFileKept", x.stateFile() != null ? x.stateFile().toString() : null);
      }
    }
    String text =
        "cpr " + command + " failed.\n" + advice.what() + "\nWhat to do: " + advice.todo();
    return finish(advice.status(), null, error, text);
  }

  private int finish(
      ExitStatus status, @Nullable ObjectNode result, @Nullable ObjectNode error, String text) {
    if (json) {
      ObjectNode root = JSON.createObjectNode();
      root.put("command", command);
      root.put("ok", status == ExitStatus.OK);
      root.put("exitCode", status.code());
      root.put("exitMeaning", status.meaning());
      if (result != null) {
        root.set("result", result);
      }
      if (error != null) {
        root.set("error", error);
      }
      ArrayNode timings = root.putArray("phases");
      for (PhaseTiming t : phases) {
        ObjectNode p = timings.addObject();
        p.put("phase", t.phase.name());
        p.put("outcome", t.outcome);
        p.put("millis", t.took != null ? millis(t.took) : null);
        p.put("message", t.message);
      }
      if (preflight != null) {
        root.set("preflight", preflightJson(preflight));
      }
      root.put("totalMillis", millis(elapsed()));
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } else {
      out.println(text);
      if (!phases.isEmpty()) {
        StringBuilder sb = new StringBuilder("Phases:");
        for (PhaseTiming t : phases) {
          sb.append(' ')
              .append(t.phase)
              .append(' ')
              .append(t.took != null ? format(t.took) : "-")
              .append(t.outcome.equals("finished") ? "" : " (" + t.outcome + ")")
              .append(',');
        }
        sb.setLength(sb.length() - 1);
        out.println(sb);
      }
    }
    out.flush();
    return status.code();
  }

  static ObjectNode preflightJson(PreflightReport report) {
    ObjectNode p = JSON.createObjectNode();
    p.put("qemu", report.qemu());
    p.put("errors", report.errors().size());
    p.put("warnings", report.warnings().size());
    p.put("memorySavedInPlace", report.memorySavedInPlace());
    p.put("expectedStateFileBytes", report.expectedStateFileBytes());
    p.put("suspendGuest", report.suspendGuest());
    ArrayNode vfio = p.putArray("vfioDevices");
    report.vfioDevices().forEach(vfio::add);
    ArrayNode items = p.putArray("items");
    for (PreflightItem item : report.items()) {
      ObjectNode i = items.addObject();
      i.put("severity", item.severity().name());
      i.put("code", item.code().name());
      i.put("subject", item.subject());
      i.put("message", item.message());
      i.put("fix", item.fix());
    }
    return p;
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  static double millis(Duration d) {
    return Math.round(d.toNanos() / 1e5) / 10.0;
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  static String format(Duration d) {
    double s = seconds(d);
    return s < 1
        ? String.format(Locale.ROOT, "%.1f ms", s * 1000)
        : String.format(Locale.ROOT, "%.2f s", s);
  }
}
